"""One account's recent history and what is still open on it, for a take-over's hand-off packet.

The timeline: touches Tandem sent (the outbox), the customer's replies (engagement events of a
reply kind), tickets opened and context events, each since a day. What is still open: onboarding
milestones not done, automated touches still queued, tickets not closed. Each query is capped;
the caller is told how many there were in all, so it can say "and N more".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from scoring.types import EngagementKind
from storage.enums import OutboxState
from storage.models import ContextEvent, EngagementEvent, Milestone, OutboxMessage, Ticket

REPLY_KINDS = (EngagementKind.EMAIL_REPLIED, EngagementKind.OUTREACH_REPLIED)
CAP = 50  # rows read per kind; more than a packet shows

T = TypeVar("T")


@dataclass(frozen=True)
class Capped(Generic[T]):
    rows: list[T]
    total: int


def _capped(session: Session, query: Select[Any], cap: int) -> Capped[Any]:
    """Up to `cap` rows, and how many there are in all (counted only when the cap was reached)."""
    rows = list(session.scalars(query.limit(cap)))
    if len(rows) < cap:
        return Capped(rows, len(rows))
    return Capped(rows, int(session.scalar(select(func.count()).select_from(query.subquery())) or 0))


def sent_touches(
    session: Session, *, account_id: str, since: datetime, cap: int = CAP
) -> Capped[OutboxMessage]:
    o = OutboxMessage
    query = (
        select(o)
        .where(o.account_id == account_id, o.state == OutboxState.SENT.value, o.sent_at >= since)
        .order_by(o.sent_at.desc(), o.id.desc())
    )
    return _capped(session, query, cap)


def replies(session: Session, *, account_id: str, since: datetime, cap: int = CAP) -> Capped[EngagementEvent]:
    e = EngagementEvent
    query = (
        select(e)
        .where(e.account_id == account_id, e.kind.in_([k.value for k in REPLY_KINDS]), e.at >= since)
        .order_by(e.at.desc(), e.id.desc())
    )
    return _capped(session, query, cap)


def tickets_opened(session: Session, *, account_id: str, since: datetime, cap: int = CAP) -> Capped[Ticket]:
    t = Ticket
    query = (
        select(t)
        .where(t.account_id == account_id, t.opened_at >= since)
        .order_by(t.opened_at.desc(), t.ticket_id)
    )
    return _capped(session, query, cap)


def context_events(
    session: Session, *, account_id: str, since: datetime, cap: int = CAP
) -> Capped[ContextEvent]:
    """Context events that began since `since`, or began earlier and were still running then."""
    c = ContextEvent
    query = (
        select(c)
        .where(c.account_id == account_id, or_(c.starts_at >= since, c.ends_at.is_(None), c.ends_at >= since))
        .order_by(c.starts_at.desc(), c.id.desc())
    )
    return _capped(session, query, cap)


def open_milestones(session: Session, *, account_id: str, due_by: date, cap: int = CAP) -> Capped[Milestone]:
    """Onboarding milestones not done yet and due by `due_by`, soonest due first (overdue ones lead)."""
    m = Milestone
    query = (
        select(m)
        .where(m.account_id == account_id, m.completed_at.is_(None), m.due_date <= due_by)
        .order_by(m.due_date, m.step)
    )
    return _capped(session, query, cap)


def queued_touches(session: Session, *, account_id: str, cap: int = CAP) -> Capped[OutboxMessage]:
    """Messages to the customer still waiting in the outbox, soonest first."""
    o = OutboxMessage
    query = (
        select(o)
        .where(o.account_id == account_id, o.state == OutboxState.QUEUED.value)
        .order_by(o.send_after, o.id)
    )
    return _capped(session, query, cap)


def open_tickets(session: Session, *, account_id: str, cap: int = CAP) -> Capped[Ticket]:
    t = Ticket
    query = (
        select(t)
        .where(t.account_id == account_id, t.closed_at.is_(None))
        .order_by(t.opened_at.desc(), t.ticket_id)
    )
    return _capped(session, query, cap)
