"""The override log: one row per decision on a card or an automated touch, for ops to review.

An audit card's answer is a row too (action worth_a_look or not_needed, proposed_route
"audit"); its propensity is the card's, and `audit_answers` reads the two together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.enums import CardKind
from storage.models import Draft, EscalationCard, OutboxMessage, OverrideRecord, Signal

AUDIT_ROUTE = "audit"  # an audit card's proposed_route: Tandem proposed nothing, it asked


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


def record_audit_answer(
    session: Session, *, card: EscalationCard, action: str, actor: str, now: datetime
) -> OverrideRecord:
    """An audit card was answered: its near miss's trigger and configuration version."""
    near_miss = card.audit or {}
    version = near_miss.get("config_version")
    record = OverrideRecord(
        card_id=card.id,
        account_id=card.account_id,
        trigger=str(near_miss.get("trigger", "")),
        proposed_route=AUDIT_ROUTE,
        proposed_draft="",
        action=action,
        actor_slack_id=actor,
        at=now,
        seconds_to_decide=max(0.0, (now - (card.posted_at or card.created_at)).total_seconds()),
        config_version=version if isinstance(version, int) else None,
    )
    session.add(record)
    session.flush()
    return record


@dataclass(frozen=True)
class AuditAnswer:
    """An audit card's answer with what weighs it: an answer stands for 1/propensity near misses."""

    record: OverrideRecord
    propensity: float
    near_miss: dict[str, Any]  # the card's audit body: trigger, value, threshold, as_of, week, ...


def audit_answers(session: Session, *, since: datetime | None = None) -> list[AuditAnswer]:
    query = (
        select(OverrideRecord, EscalationCard.propensity, EscalationCard.audit)
        .join(EscalationCard, EscalationCard.id == OverrideRecord.card_id)
        .where(EscalationCard.kind == CardKind.AUDIT.value)
        .order_by(OverrideRecord.at, OverrideRecord.id)
    )
    if since is not None:
        query = query.where(OverrideRecord.at >= since)
    return [
        AuditAnswer(record, float(propensity) if propensity is not None else 1.0, dict(audit or {}))
        for record, propensity, audit in session.execute(query)
    ]


def list_overrides(session: Session, *, since: datetime | None = None) -> list[OverrideRecord]:
    query = select(OverrideRecord).order_by(OverrideRecord.at, OverrideRecord.id)
    if since is not None:
        query = query.where(OverrideRecord.at >= since)
    return list(session.scalars(query))
