"""Approve, Edit and Take over: authorize, apply once, log the override, queue the send.
A dismissal as known context may also owe the owner an exception offer (bot.workflows.exceptions);
a take-over owes its hand-off packet in the card's thread (bot.workflows.hand_off).

Each decision runs in one transaction. The guarded update in `cards.decide` makes a second
click, a Slack retry or a colleague's simultaneous click harmless: only one of them wins, and
the others are refused with who decided and when. Nothing changes for a refused user.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.workflows import card_messages
from bot.workflows.card_views import SENDING_ROUTES, CardView, load_card_view
from bot.workflows.exceptions import offers
from bot.workflows.hand_off.owed import ClickedMessage, owe_packet
from bot.workflows.refused import CARD_GONE, NOT_YOURS, Refused, already_decided
from storage.db import transaction
from storage.enums import CardState, DismissReason
from storage.models import Account, Draft, EscalationCard, Signal
from storage.repositories import accounts, card_clicks, cards, outbox, overrides, users

NOTHING_TO_SEND = "This card has no message for Tandem to send; use Take over."
EMPTY_TEXT = "The message can't be empty."


@dataclass(frozen=True)
class Decided:
    view: CardView
    channel_id: str | None
    message_ts: str | None
    # A known-context dismissal that owed the owner an exception offer ("quiet until it gets worse").
    offered: bool = False
    # The messages the card is in (the owner's, the manager's and the channel's copies), each
    # owed an update to the decided state (bot.workflows.card_messages); 0: none is recorded.
    copies: int = 0


@dataclass(frozen=True)
class EditorReady:
    view: CardView


@dataclass(frozen=True)
class DecidedElsewhere:
    """The click was already decided by another worker (a sweep, another replica): show nothing."""


Outcome = Decided | Refused


def approve(deps: Deps, *, card_id: int, actor: str) -> Outcome:
    return _decided(_decide(deps, card_id=card_id, actor=actor, state=CardState.APPROVED))


def edit_and_approve(deps: Deps, *, card_id: int, actor: str, text: str) -> Outcome:
    if not text.strip():
        return Refused(EMPTY_TEXT)
    return _decided(
        _decide(deps, card_id=card_id, actor=actor, state=CardState.EDITED, edited_text=text.strip())
    )


def take_over(deps: Deps, *, card_id: int, actor: str, clicked: ClickedMessage | None = None) -> Outcome:
    """The account becomes `actor`'s to handle; the hand-off packet is owed in the thread of
    the message clicked (`clicked`), else of the card's own message (bot.workflows.hand_off)."""
    return _decided(_decide(deps, card_id=card_id, actor=actor, state=CardState.TAKEN_OVER, clicked=clicked))


def decide_click(
    deps: Deps, *, click_id: int, take_over: bool, card_id: int, actor: str, clicked: ClickedMessage | None
) -> Outcome | DecidedElsewhere:
    """A stored click (bot.workflows.click_inbox): approve or take over, marking the click done
    in the same transaction; DecidedElsewhere when another worker had decided it."""
    state = CardState.TAKEN_OVER if take_over else CardState.APPROVED
    return _decide(deps, card_id=card_id, actor=actor, state=state, clicked=clicked, click_id=click_id)


def dismiss(deps: Deps, *, card_id: int, actor: str, reason: str, note: str = "") -> Outcome:
    """A false alarm: the card closes with a named reason, which the override log keeps."""
    if reason not in set(DismissReason):
        return Refused(f"Choose a reason: {', '.join(r.label.lower() for r in DismissReason)}.")
    why = DismissReason(reason).label + (f": {note}" if note else "")
    return _decided(
        _decide(deps, card_id=card_id, actor=actor, state=CardState.DISMISSED, reason=reason, note=why)
    )


def check_pending(deps: Deps, *, card_id: int, actor: str) -> EditorReady | Refused:
    """May `actor` still decide this card? Read-only (the Dismiss modal opens on it)."""
    with deps.session_factory() as session:
        pending = _pending_for(session, card_id, actor)
        if isinstance(pending, Refused):
            return pending
        view = load_card_view(session, card_id=card_id)
        return EditorReady(view) if view is not None else CARD_GONE


def open_editor(deps: Deps, *, card_id: int, actor: str) -> EditorReady | Refused:
    """May `actor` edit this card's draft now? Read-only: the submission decides."""
    ready = check_pending(deps, card_id=card_id, actor=actor)
    if isinstance(ready, EditorReady) and not ready.view.proposes_send:
        return Refused(NOTHING_TO_SEND)
    return ready


def _decided(outcome: Outcome | DecidedElsewhere) -> Outcome:
    assert not isinstance(outcome, DecidedElsewhere)  # only a stored click can be decided elsewhere
    return outcome


def _decide(
    deps: Deps, *, card_id: int, actor: str, state: CardState, **details: Any
) -> Outcome | DecidedElsewhere:
    outcome = _decide_once(deps, card_id=card_id, actor=actor, state=state, **details)
    if isinstance(outcome, Decided):  # counted once committed
        deps.metrics.card_decided(state.value)
    return outcome


def _decide_once(
    deps: Deps,
    *,
    card_id: int,
    actor: str,
    state: CardState,
    edited_text: str | None = None,
    reason: str | None = None,
    note: str | None = None,
    clicked: ClickedMessage | None = None,
    click_id: int | None = None,
) -> Outcome | DecidedElsewhere:
    now = deps.clock.now()
    with transaction(deps.session_factory) as session:
        # First the click itself: another worker that got there first decided it (PostgreSQL
        # holds this row's lock until the commit, so the two never decide side by side).
        if click_id is not None and not card_clicks.finish(
            session, click_id=click_id, outcome=state.value, now=now
        ):
            return DecidedElsewhere()
        outcome = _apply(
            session,
            card_id=card_id,
            actor=actor,
            state=state,
            now=now,
            edited_text=edited_text,
            reason=reason,
            note=note,
            clicked=clicked,
        )
        if click_id is not None and isinstance(outcome, Refused):
            card_clicks.note_outcome(session, click_id=click_id, outcome=f"refused: {outcome.message}")
        return outcome


def _apply(
    session: Session,
    *,
    card_id: int,
    actor: str,
    state: CardState,
    now: datetime,
    edited_text: str | None,
    reason: str | None,
    note: str | None,
    clicked: ClickedMessage | None,
) -> Outcome:
    """The decision itself, inside the caller's transaction."""
    pending = _pending_for(session, card_id, actor)  # a fast answer; the guarded update below is the guard
    if isinstance(pending, Refused):
        return pending
    card, account, signal = pending
    draft = session.get(Draft, card.draft_id) if card.draft_id else None
    sends = state in (CardState.APPROVED, CardState.EDITED)
    if sends and (draft is None or signal.route not in SENDING_ROUTES):
        return Refused(NOTHING_TO_SEND)
    final_text = edited_text if state is CardState.EDITED else (draft.body if draft and sends else None)
    if not cards.decide(
        session,
        card_id=card_id,
        new_state=state,
        actor=actor,
        now=now,
        final_text=final_text,
        dismiss_reason=reason,
    ):
        session.refresh(card)
        return already_decided(card.state, card.decided_by, card.decided_at)
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
        reason=note,
    )
    offered = False
    if state is CardState.TAKEN_OVER:
        accounts.set_human_handled(session, account_id=account.account_id, by=actor, now=now)
        owe_packet(session, card=card, taker=actor, clicked=clicked, now=now)
    elif draft is not None and final_text is not None:
        _queue_send(session, card=card, account=account, subject=draft.subject, body=final_text, now=now)
    elif reason == DismissReason.KNOWN_CONTEXT:  # owed with the dismissal, or not at all
        offered = offers.offer_if_due(session, card=card, account=account, signal=signal, now=now)
    copies = card_messages.owe_updates(session, card_id=card_id, now=now)  # every copy, wherever it climbed
    view = load_card_view(session, card_id=card_id)
    assert view is not None  # the card, signal and account were all read above
    return Decided(view, card.channel_id, card.message_ts, offered=offered, copies=copies)


def _pending_for(
    session: Session, card_id: int, actor: str
) -> tuple[EscalationCard, Account, Signal] | Refused:
    """The card, its account and signal, if `actor` may decide it and it is still pending."""
    loaded = _load(session, card_id)
    if loaded is None:
        return CARD_GONE
    card, account, _ = loaded
    if not users.may_act_on(session, account=account, actor=actor):
        return NOT_YOURS
    if card.state != CardState.PENDING:
        return already_decided(card.state, card.decided_by, card.decided_at)
    return loaded


def _load(session: Session, card_id: int) -> tuple[EscalationCard, Account, Signal] | None:
    card = cards.get_card(session, card_id=card_id)
    if card is None:
        return None
    account = session.get(Account, card.account_id)
    signal = session.get(Signal, card.signal_id) if card.signal_id is not None else None  # audit: None
    if account is None or signal is None:
        return None
    return card, account, signal


def _queue_send(
    session: Session, *, card: EscalationCard, account: Account, subject: str, body: str, now: datetime
) -> None:
    outbox.enqueue(
        session,
        idempotency_key=f"card:{card.id}:send",
        account_id=account.account_id,
        card_id=card.id,
        channel="email" if account.contact_email else "record",
        recipient=account.contact_email or f"account:{account.account_id}",
        subject=subject,
        body=body,
        send_after=now,  # a person approved it: no hold window
        now=now,
    )
