"""Escalation cards and their state machine: pending → approved / edited / taken_over / dismissed.

Every transition is one guarded UPDATE on `state = 'pending'`: a double click, a Slack retry
or two people clicking at once change the card once, and the losers learn who won.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.enums import CardState
from storage.models import EscalationCard

DECIDED_STATES = frozenset(CardState) - {CardState.PENDING}


def create_card(
    session: Session,
    *,
    signal_id: int,
    account_id: str,
    draft_id: int | None,
    recipient_slack_id: str,
    now: datetime,
) -> EscalationCard:
    """One card per signal: a second call returns the first card."""
    existing = session.scalar(select(EscalationCard).where(EscalationCard.signal_id == signal_id))
    if existing is not None:
        return existing
    card = EscalationCard(
        signal_id=signal_id,
        account_id=account_id,
        draft_id=draft_id,
        state=CardState.PENDING,
        version=1,
        recipient_slack_id=recipient_slack_id,
        created_at=now,
    )
    session.add(card)
    session.flush()
    return card


def get_card(session: Session, *, card_id: int) -> EscalationCard | None:
    return session.get(EscalationCard, card_id)


def mark_posted(session: Session, *, card_id: int, channel_id: str, message_ts: str, now: datetime) -> None:
    session.execute(
        update(EscalationCard)
        .where(EscalationCard.id == card_id)
        .values(channel_id=channel_id, message_ts=message_ts, posted_at=now)
    )


def pending_cards_for(session: Session, *, slack_id: str) -> list[EscalationCard]:
    return list(
        session.scalars(
            select(EscalationCard)
            .where(EscalationCard.recipient_slack_id == slack_id, EscalationCard.state == CardState.PENDING)
            .order_by(EscalationCard.created_at)
        )
    )


def decide(
    session: Session,
    *,
    card_id: int,
    new_state: CardState,
    actor: str,
    now: datetime,
    final_text: str | None = None,
    dismiss_reason: str | None = None,
) -> bool:
    """Move a pending card to `new_state`; True only for the caller whose update won."""
    if new_state not in DECIDED_STATES:
        raise ValueError(f"a card can only be decided into {sorted(DECIDED_STATES)}, not {new_state!r}")
    result = session.execute(
        update(EscalationCard)
        .where(EscalationCard.id == card_id, EscalationCard.state == CardState.PENDING)
        .values(
            state=new_state,
            version=EscalationCard.version + 1,
            decided_at=now,
            decided_by=actor,
            final_text=final_text,
            dismiss_reason=dismiss_reason,
        )
        .execution_options(synchronize_session=False)
    )
    won = result.rowcount == 1  # type: ignore[attr-defined]
    if won:
        card = session.get(EscalationCard, card_id)
        if card is not None:
            session.refresh(card)
    return won
