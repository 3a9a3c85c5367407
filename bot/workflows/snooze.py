"""Snooze: a card put to sleep from its menu, and woken when it is time or the account worsens.

A snooze (1 day, 3 days, 1 week, or until it gets worse, storage.enums.SnoozeMode) is a
deferral, not a decision: it is logged as "snoozed" in the override log, which learning does
not count. Only someone who may act on the card may snooze it; a second click finds it asleep
and changes nothing. While it sleeps the ladder leaves it alone, it spends none of the card
budget, and every message it is in says so and until when.

It wakes (logged "woke"), with its ladder restarted from its owner, and is posted to its owner
again as a new message marked as a snoozed card coming back, when:
- its time is up (a snooze until it gets worse has no time limit);
- the account's score falls `attention.snooze_wake_points` or more below its score at the snooze;
- a new trigger fires on the account: one recorded after the snooze that was not among those
  of the card's own day (a repeat of the same trigger is the same news, not a new one).
The check runs in the scheduler's ladder job and at the end of the daily cycle, so a worsening
the cycle finds wakes the card the same day.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.workflows import card_messages
from bot.workflows.refused import Refused
from scoring.config import Attention
from scoring.learning.types import Action
from storage.db import transaction
from storage.enums import CardKind, CardState, SnoozeMode
from storage.models import Account, EscalationCard
from storage.repositories import attention, cards, snapshots, users

logger = logging.getLogger(__name__)
SYSTEM_ACTOR = "tandem"
LENGTHS: dict[SnoozeMode, timedelta | None] = {
    SnoozeMode.ONE_DAY: timedelta(days=1),
    SnoozeMode.THREE_DAYS: timedelta(days=3),
    SnoozeMode.ONE_WEEK: timedelta(weeks=1),
    SnoozeMode.UNTIL_WORSE: None,
}
LABELS = {
    SnoozeMode.ONE_DAY: "1 day",
    SnoozeMode.THREE_DAYS: "3 days",
    SnoozeMode.ONE_WEEK: "1 week",
    SnoozeMode.UNTIL_WORSE: "Until it gets worse",
}
NOT_YOURS = "Only the account's CSM, their manager or ops can snooze this card. Nothing was changed."


@dataclass(frozen=True)
class Snoozed:
    card_id: int
    account_name: str
    until: datetime | None  # None: until it gets worse
    by: str
    already: bool = False  # it was asleep already (a second click): nothing changed


@dataclass(frozen=True)
class MaySnooze:
    card_id: int
    account_name: str


def may_snooze(deps: Deps, *, card_id: int, actor: str) -> MaySnooze | Refused:
    """Whether `actor` may snooze this card now (read-only: the modal opens on it)."""
    with deps.session_factory() as session:
        found = _check(session, card_id=card_id, actor=actor)
        if isinstance(found, Refused):
            return found
        card, account = found
        if card.snooze_mode is not None:
            return Refused(f"{account.name}'s card is already snoozed. Nothing was changed.")
        return MaySnooze(card.id, account.name)


def snooze_card(deps: Deps, *, card_id: int, actor: str, mode: str) -> Snoozed | Refused:
    """Put the card to sleep (guarded: safe twice), log the deferral, update every copy."""
    if mode not in set(SnoozeMode):
        return Refused(f"Choose how long: {', '.join(LABELS.values()).lower()}.")
    chosen = SnoozeMode(mode)
    now = deps.clock.now()
    with transaction(deps.session_factory) as session:
        found = _check(session, card_id=card_id, actor=actor)
        if isinstance(found, Refused):
            return found
        card, account = found
        if card.snooze_mode is not None:
            return Snoozed(card.id, account.name, card.snoozed_until, card.snoozed_by or "", already=True)
        length = LENGTHS[chosen]
        until = now + length if length is not None else None
        score = snapshots.latest_score(session, account_id=account.account_id, on_or_before=now.date())
        if not attention.snooze(
            session, card_id=card.id, mode=chosen.value, until=until, score=score, actor=actor, now=now
        ):
            session.refresh(card)  # another click won, or it was decided meanwhile
            if card.state != CardState.PENDING:
                return Refused(f"Already handled: {card.state.replace('_', ' ')}. Nothing was changed.")
            return Snoozed(card.id, account.name, card.snoozed_until, card.snoozed_by or "", already=True)
        reason = f"until {until:%Y-%m-%d %H:%M} UTC" if until else "until it gets worse"
        card_messages.log_step(
            session,
            card_id=card.id,
            action=Action.SNOOZED,
            actor=actor,
            now=now,
            reason=f"{reason} (health {score if score is not None else 'not scored'})",
        )
        card_messages.owe_updates(session, card_id=card.id, now=now)
    card_messages.deliver_card_messages(deps, card_id=card_id)
    return Snoozed(card_id, account.name, until, actor)


def _check(session: Session, *, card_id: int, actor: str) -> tuple[EscalationCard, Account] | Refused:
    card = cards.get_card(session, card_id=card_id)
    account = session.get(Account, card.account_id) if card is not None else None
    if card is None or account is None:
        return Refused("That card no longer exists. Nothing was changed.")
    if not users.may_act_on(session, account=account, actor=actor):
        return Refused(NOT_YOURS)
    if card.kind != CardKind.FIRED:
        return Refused("Only a card a trigger fired can be snoozed. Nothing was changed.")
    if card.state != CardState.PENDING:
        who = f" by <@{card.decided_by}>" if card.decided_by else ""
        return Refused(f"Already handled: {card.state.replace('_', ' ')}{who}. Nothing was changed.")
    if not card.message_ts:
        return Refused("This card is not in Slack yet: open it first. Nothing was changed.")
    return card, account


def wake_due(deps: Deps) -> list[int]:
    """Wake every sleeping card whose time is up, whose account got worse, or on whose account a
    new trigger fired; each is owed its return to its owner. Returns the cards woken."""
    now = deps.clock.now()
    woken: list[int] = []
    with deps.session_factory() as session:
        config = card_messages.attention_config(session)
        sleeping = attention.sleeping_cards(session)
        reasons = [(each, _why_wake(session, each, now, config)) for each in sleeping]
    for each, why in reasons:
        if why is None:
            continue
        with transaction(deps.session_factory) as session:
            if not attention.wake(session, card_id=each.card_id, snooze_count=each.snooze_count, now=now):
                continue  # another run woke it, or it was decided meanwhile
            card = cards.get_card(session, card_id=each.card_id)
            assert card is not None
            card_messages.log_step(
                session, card_id=card.id, action=Action.WOKE, actor=SYSTEM_ACTOR, now=now, reason=why
            )
            card_messages.owe_updates(
                session, card_id=card.id, now=now
            )  # the old copies: back with the owner
            card_messages.owe_copy(
                session,
                card=card,
                key=f"card-back:{card.id}:{card.snooze_count}",
                recipient=card.recipient_slack_id,
                note=f"⏰ *Snoozed card coming back:* {why}.",
                now=now,
            )
        logger.info("card %s woke: %s", each.card_id, why)
        woken.append(each.card_id)
    if woken:
        card_messages.deliver_card_messages(deps)
    return woken


def _why_wake(session: Session, each: attention.Sleeping, now: datetime, config: Attention) -> str | None:
    if each.snoozed_until is not None and now >= each.snoozed_until:
        return "its snooze is over"
    score = snapshots.latest_score(session, account_id=each.account_id, on_or_before=now.date())
    if (
        score is not None
        and each.snooze_score is not None
        and each.snooze_score - score >= config.snooze_wake_points
    ):
        return f"the account's health fell from {each.snooze_score} to {score}"
    since = attention.snoozed_at(session, card_id=each.card_id)
    if since is None:
        return None
    new = attention.triggers_fired_since(session, account_id=each.account_id, since=since)
    new -= attention.triggers_on(session, account_id=each.account_id, as_of=each.as_of)
    if new:
        return f"a new trigger fired: {', '.join(sorted(t.replace('_', ' ') for t in new))}"
    return None
