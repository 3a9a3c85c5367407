"""A CSM's day on the Home tab: the cards waiting for them (oldest first, with rung and age),
their snoozed cards with when each returns, their book by band, and the accounts kept with a
person (vetoed, taken over). The digest picture below it carries the automated touches in
their hold window with **Cancel** and the signals on hold."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.blocks.home_roles import CsmDay, KeptWithPerson
from bot.workflows.team_health import book_bands, card_line_of
from storage.enums import CardDelivery
from storage.models import User
from storage.repositories import team_health, users


def csm_day(session: Session, user: User, *, now: datetime, currency: str) -> CsmDay:
    mine = team_health.waiting_for(session, recipient=user.slack_id)
    # A card over the day's budget waits in the digest picture (with Open card) until opened.
    posted = [card for card in mine if card.card.delivery == CardDelivery.DM.value]
    awake = [card_line_of(card, {}) for card in posted if card.card.snooze_mode is None]
    asleep = sorted(
        (card_line_of(card, {}) for card in posted if card.card.snooze_mode is not None),
        key=lambda line: (line.snoozed_until is None, line.snoozed_until or now),  # "until worse" last
    )
    _, bands, unscored, _ = book_bands(session, owners=frozenset({user.slack_id}))
    return CsmDay(
        now=now,
        waiting=tuple(awake),
        snoozed=tuple(asleep),
        bands=bands,
        unscored=unscored,
        currency=currency,
        kept=tuple(_kept(session, user)),
    )


def _kept(session: Session, user: User) -> list[KeptWithPerson]:
    kept = []
    for account in team_health.in_human_hands(session, owners=frozenset({user.slack_id})):
        if account.always_human:
            by = _name(session, account.always_human_by)
            kept.append(KeptWithPerson(account.name, "always human (vetoed" + (f" by {by})" if by else ")")))
        if account.human_handled_by:
            by = _name(session, account.human_handled_by) or account.human_handled_by
            kept.append(KeptWithPerson(account.name, f"taken over by {by}", account.human_handled_since))
    return kept


def _name(session: Session, slack_id: str | None) -> str | None:
    if not slack_id:
        return None
    found = users.get_user(session, slack_id=slack_id)
    return found.name if found else slack_id
