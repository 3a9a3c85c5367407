"""What Tandem and people did about signals in a period, and what followed (for the quarterly
automation-mix review): touches, replies, health snapshots and renewal outcomes, read in bulk."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.enums import CardState, OutboxState
from storage.models import (
    Account,
    EngagementEvent,
    EscalationCard,
    HealthSnapshot,
    OutboxMessage,
    RenewalOutcome,
    Signal,
)

REPLY_KINDS = ("outreach_replied", "email_replied")
ACTED_STATES = (CardState.APPROVED.value, CardState.EDITED.value, CardState.TAKEN_OVER.value)
SENT_STATES = (CardState.APPROVED.value, CardState.EDITED.value)


@dataclass(frozen=True, slots=True)
class TouchRow:
    account_id: str
    segment: str
    route: str
    at: datetime
    sent: bool


def _moment(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def touches_between(session: Session, *, start: date, end: date) -> list[TouchRow]:
    """Automated messages sent, and cards a person approved, edited or took over, in [start, end)."""
    since, until = _moment(start), _moment(end)
    rows: list[TouchRow] = []
    automated = (
        select(OutboxMessage.account_id, Account.segment, Signal.route, OutboxMessage.sent_at)
        .join(Account, Account.account_id == OutboxMessage.account_id)
        .join(Signal, Signal.id == OutboxMessage.signal_id)
        .where(
            OutboxMessage.card_id.is_(None),
            OutboxMessage.state == OutboxState.SENT.value,
            OutboxMessage.sent_at >= since,
            OutboxMessage.sent_at < until,
        )
    )
    rows += [TouchRow(a, seg, route, at, True) for a, seg, route, at in session.execute(automated) if at]
    decided = (
        select(
            EscalationCard.account_id,
            Account.segment,
            Signal.route,
            EscalationCard.decided_at,
            EscalationCard.state,
        )
        .join(Account, Account.account_id == EscalationCard.account_id)
        .join(Signal, Signal.id == EscalationCard.signal_id)
        .where(
            EscalationCard.state.in_(ACTED_STATES),
            EscalationCard.decided_at >= since,
            EscalationCard.decided_at < until,
        )
    )
    rows += [
        TouchRow(a, seg, route, at, state in SENT_STATES)
        for a, seg, route, at, state in session.execute(decided)
        if at  # filtered on it above: a decided card always has its time
    ]
    return rows


def replies_between(
    session: Session, *, account_ids: Sequence[str], start: date, end: date
) -> dict[str, list[datetime]]:
    """When each account replied to outreach in [start, end)."""
    found: dict[str, list[datetime]] = defaultdict(list)
    for chunk in _chunks(account_ids):
        query = select(EngagementEvent.account_id, EngagementEvent.at).where(
            EngagementEvent.account_id.in_(chunk),
            EngagementEvent.kind.in_(REPLY_KINDS),
            EngagementEvent.at >= _moment(start),
            EngagementEvent.at < _moment(end),
        )
        for account_id, at in session.execute(query):
            found[account_id].append(at)
    return found


def scores_between(
    session: Session, *, account_ids: Sequence[str], start: date, end: date
) -> dict[str, dict[date, int]]:
    """Each account's stored daily scores in [start, end)."""
    found: dict[str, dict[date, int]] = defaultdict(dict)
    for chunk in _chunks(account_ids):
        query = select(HealthSnapshot.account_id, HealthSnapshot.as_of, HealthSnapshot.score).where(
            HealthSnapshot.account_id.in_(chunk), HealthSnapshot.as_of >= start, HealthSnapshot.as_of < end
        )
        for account_id, day, score in session.execute(query):
            found[account_id][day] = score
    return found


def outcomes_between(
    session: Session, *, account_ids: Sequence[str], start: date, end: date
) -> dict[str, list[tuple[date, str]]]:
    """Renewal outcomes (day, renewed/churned) per account with a renewal in [start, end)."""
    found: dict[str, list[tuple[date, str]]] = defaultdict(list)
    for chunk in _chunks(account_ids):
        query = select(RenewalOutcome.account_id, RenewalOutcome.renewal_date, RenewalOutcome.outcome).where(
            RenewalOutcome.account_id.in_(chunk),
            RenewalOutcome.renewal_date >= start,
            RenewalOutcome.renewal_date < end,
        )
        for account_id, day, outcome in session.execute(query):
            found[account_id].append((day, outcome))
    return found


def _chunks(ids: Sequence[str], size: int = 900) -> list[list[str]]:
    unique = sorted(set(ids))
    return [unique[i : i + size] for i in range(0, len(unique), size)] or []
