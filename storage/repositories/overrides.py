"""The override log: one row per decision on a card or an automated touch, for ops to review."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import AccountException, Draft, EscalationCard, OutboxMessage, OverrideRecord, Signal

SYSTEM_ACTOR = "tandem"  # who lapses an exception: the cycle


def record_override(
    session: Session,
    *,
    card: EscalationCard,
    signal: Signal,
    draft: Draft | None,
    action: str,
    actor: str,
    now: datetime,
    edited_text: str | None = None,
    reason: str | None = None,
) -> OverrideRecord:
    shown_at = card.posted_at or card.created_at
    record = OverrideRecord(
        card_id=card.id,
        account_id=card.account_id,
        trigger=signal.trigger,
        proposed_route=signal.route,
        proposed_draft=draft.body if draft else "",
        action=action,
        edited_text=edited_text,
        reason=reason,
        actor_slack_id=actor,
        at=now,
        seconds_to_decide=max(0.0, (now - shown_at).total_seconds()),
        config_version=signal.config_version,
    )
    session.add(record)
    session.flush()
    return record


def record_automated(
    session: Session,
    *,
    message: OutboxMessage,
    action: str,
    actor: str,
    now: datetime,
    reason: str | None = None,
) -> OverrideRecord:
    """An automated touch was sent after its hold window, or a CSM cancelled it."""
    signal = session.get(Signal, message.signal_id) if message.signal_id else None
    record = OverrideRecord(
        outbox_id=message.id,
        account_id=message.account_id,
        trigger=signal.trigger if signal else "",
        proposed_route=signal.route if signal else "auto",
        proposed_draft=message.body,
        action=action,
        reason=reason,
        actor_slack_id=actor,
        at=now,
        seconds_to_decide=max(0.0, (now - message.created_at).total_seconds()),
        config_version=signal.config_version if signal else None,
    )
    session.add(record)
    session.flush()
    return record


def record_exception(
    session: Session,
    *,
    exception: AccountException,
    action: str,
    actor: str,
    now: datetime,
    reason: str | None = None,
    seconds_to_decide: float = 0.0,
) -> OverrideRecord:
    """An account exception set, declined, lifted, lapsed or expired (`exception_<what>`). No
    card_id: the row is about the account's trigger, not a decision on one card (the card an
    exception came from is on the exception)."""
    record = OverrideRecord(
        account_id=exception.account_id,
        trigger=exception.trigger,
        proposed_route="hold",  # what an exception does to its trigger
        proposed_draft="",
        action=action,
        reason=reason,
        actor_slack_id=actor,
        at=now,
        seconds_to_decide=max(0.0, seconds_to_decide),
    )
    session.add(record)
    session.flush()
    return record


def list_overrides(session: Session, *, since: datetime | None = None) -> list[OverrideRecord]:
    query = select(OverrideRecord).order_by(OverrideRecord.at, OverrideRecord.id)
    if since is not None:
        query = query.where(OverrideRecord.at >= since)
    return list(session.scalars(query))
