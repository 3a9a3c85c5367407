"""Approve, Edit and Take over: authorize, apply once, log the override, queue the send.

Each runs in one transaction. The guarded update in `cards.decide` makes a second click, a
Slack retry or a colleague's simultaneous click harmless: only one of them wins, and the
others get AlreadyDecided with who and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.workflows.card_views import CardView, load_card_view
from storage.db import transaction
from storage.enums import CardState
from storage.models import Account, Draft, EscalationCard, Signal, User
from storage.repositories import accounts, cards, outbox, overrides, users


@dataclass(frozen=True)
class Decided:
    view: CardView
    channel_id: str | None
    message_ts: str | None


@dataclass(frozen=True)
class AlreadyDecided:
    state: str
    decided_by: str | None
    decided_at: datetime | None


@dataclass(frozen=True)
class NotAuthorized:
    actor: str


@dataclass(frozen=True)
class NotFound:
    card_id: int


@dataclass(frozen=True)
class InvalidInput:
    message: str


Outcome = Decided | AlreadyDecided | NotAuthorized | NotFound | InvalidInput


def approve(deps: Deps, *, card_id: int, actor: str) -> Outcome:
    return _decide(deps, card_id=card_id, actor=actor, state=CardState.APPROVED)


def edit_and_approve(deps: Deps, *, card_id: int, actor: str, text: str) -> Outcome:
    if not text.strip():
        return InvalidInput("The message can't be empty.")
    return _decide(deps, card_id=card_id, actor=actor, state=CardState.EDITED, edited_text=text.strip())


def take_over(deps: Deps, *, card_id: int, actor: str) -> Outcome:
    return _decide(deps, card_id=card_id, actor=actor, state=CardState.TAKEN_OVER)


def _decide(
    deps: Deps, *, card_id: int, actor: str, state: CardState, edited_text: str | None = None
) -> Outcome:
    now = deps.clock.now()
    with transaction(deps.session_factory) as session:
        card = session.get(EscalationCard, card_id)
        account = session.get(Account, card.account_id) if card else None
        signal = session.get(Signal, card.signal_id) if card else None
        if card is None or account is None or signal is None:
            return NotFound(card_id)
        owner = session.get(User, account.owner_slack_id)
        user = users.get_user(session, slack_id=actor)
        if not users.can_decide_for(
            user,
            owner_slack_id=account.owner_slack_id,
            owner_manager_slack_id=owner.manager_slack_id if owner else None,
        ):
            return NotAuthorized(actor)
        draft = session.get(Draft, card.draft_id) if card.draft_id else None
        if (
            state in (CardState.APPROVED, CardState.EDITED)
            and draft is None
            and card.state == CardState.PENDING
        ):
            return InvalidInput("This card has no draft to send; use Take over.")
        final_text = edited_text if state is CardState.EDITED else (draft.body if draft else None)
        if not cards.decide(
            session, card_id=card_id, new_state=state, actor=actor, now=now, final_text=final_text
        ):
            session.refresh(card)
            return AlreadyDecided(card.state, card.decided_by, card.decided_at)
        session.refresh(card)
        overrides.record_override(
            session,
            card=card,
            signal=signal,
            draft=draft,
            action=state.value,
            actor=actor,
            now=now,
            edited_text=edited_text,
        )
        if state is CardState.TAKEN_OVER:
            accounts.set_human_handled(session, account_id=account.account_id, by=actor, now=now)
        elif draft is not None and final_text is not None:
            _queue_send(session, card=card, account=account, subject=draft.subject, body=final_text, now=now)
        view = load_card_view(session, card_id=card_id)
        assert view is not None  # the card, signal and account were all read above
        return Decided(view, card.channel_id, card.message_ts)


def _queue_send(
    session: Session, *, card: EscalationCard, account: Account, subject: str, body: str, now: datetime
) -> None:
    recipient = account.contact_email or f"account:{account.account_id}"
    outbox.enqueue(
        session,
        idempotency_key=f"card:{card.id}:send",
        account_id=account.account_id,
        card_id=card.id,
        channel="email" if account.contact_email else "record",
        recipient=recipient,
        subject=subject,
        body=body,
        send_after=now,  # a person approved it: no hold window
        now=now,
    )
