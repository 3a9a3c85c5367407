"""Build scoring's AccountFacts for the whole book in bulk: one query per table, grouped in
Python, never a query per account (the book may hold 100,000 accounts)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scoring.types import (
    AccountFacts,
    AutomationMode,
    BillingEvent,
    BillingKind,
    BookFacts,
    ContextEvent,
    ContextKind,
    EngagementEvent,
    EngagementKind,
    Milestone,
    Segment,
    Severity,
    Ticket,
    UsageDay,
)
from storage import models

SQLITE_IN_LIMIT = 900  # SQLite's bound-parameter limit, with room to spare


def _chunks(ids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), SQLITE_IN_LIMIT):
        yield ids[start : start + SQLITE_IN_LIMIT]


def _rows(session: Session, query: Any, column: Any, ids: list[str] | None) -> Iterator[Any]:
    if ids is None:
        yield from session.execute(query)
        return
    for chunk in _chunks(ids):
        yield from session.execute(query.where(column.in_(chunk)))


def load_account_facts(
    session: Session,
    *,
    as_of: date,
    window_days: int = 120,
    account_ids: Collection[str] | None = None,
) -> list[AccountFacts]:
    ids = sorted(account_ids) if account_ids is not None else None
    start_day = as_of - timedelta(days=window_days)
    start_at = datetime.combine(start_day, time.min, tzinfo=UTC)
    end_at = datetime.combine(as_of, time.max, tzinfo=UTC)

    query: Any  # one statement per table, each of a different row type
    usage: dict[str, list[UsageDay]] = defaultdict(list)
    u = models.UsageDaily
    query = select(u.account_id, u.day, u.active_users, u.licensed_seats, u.events).where(
        u.day >= start_day, u.day <= as_of
    )
    for account_id, day, active, seats, events in _rows(session, query.order_by(u.day), u.account_id, ids):
        usage[account_id].append(UsageDay(day, active, seats, events or 0))

    tickets: dict[str, list[Ticket]] = defaultdict(list)
    t = models.Ticket
    query = select(
        t.account_id,
        t.ticket_id,
        t.opened_at,
        t.severity,
        t.subject,
        t.body,
        t.closed_at,
        t.is_escalation_request,
    ).where(t.opened_at <= end_at, (t.opened_at >= start_at) | t.closed_at.is_(None))
    for row in _rows(session, query, t.account_id, ids):
        tickets[row[0]].append(
            Ticket(row[1], _utc(row[2]), Severity(row[3]), row[4], row[5], _utc_or_none(row[6]), bool(row[7]))
        )

    billing: dict[str, list[BillingEvent]] = defaultdict(list)
    b = models.BillingEvent
    query = select(b.account_id, b.day, b.kind, b.amount).where(b.day >= start_day, b.day <= as_of)
    for account_id, day, kind, amount in _rows(session, query, b.account_id, ids):
        billing[account_id].append(BillingEvent(day, BillingKind(kind), amount))

    engagement: dict[str, list[EngagementEvent]] = defaultdict(list)
    e = models.EngagementEvent
    query = select(e.account_id, e.at, e.kind, e.value).where(e.at >= start_at, e.at <= end_at)
    for account_id, at, kind, value in _rows(session, query, e.account_id, ids):
        engagement[account_id].append(EngagementEvent(_utc(at), EngagementKind(kind), value))

    context: dict[str, list[ContextEvent]] = defaultdict(list)
    c = models.ContextEvent
    query = select(c.account_id, c.kind, c.starts_at, c.ends_at, c.note).where(
        c.starts_at <= end_at, c.ends_at.is_(None) | (c.ends_at >= start_at)
    )
    for account_id, kind, starts, ends, note in _rows(session, query, c.account_id, ids):
        context[account_id].append(
            ContextEvent(ContextKind(kind), _utc(starts), _utc_or_none(ends), note or "")
        )

    milestones: dict[str, list[Milestone]] = defaultdict(list)
    m = models.Milestone
    query = select(m.account_id, m.step, m.due_date, m.completed_at)
    for account_id, step, due, completed in _rows(session, query, m.account_id, ids):
        milestones[account_id].append(Milestone(step, due, _utc_or_none(completed)))

    history: dict[str, list[tuple[date, int]]] = defaultdict(list)
    h = models.HealthSnapshot
    query = (
        select(h.account_id, h.as_of, h.score).where(h.as_of >= start_day, h.as_of < as_of).order_by(h.as_of)
    )
    for account_id, day, score in _rows(session, query, h.account_id, ids):
        history[account_id].append((day, score))

    a = models.Account
    query = select(
        a.account_id, a.name, a.segment, a.arr, a.owner_slack_id, a.renewal_date,
        a.automation_mode, a.always_human, a.human_handled_by,
    ).order_by(a.account_id)  # fmt: skip
    facts = []
    for row in _rows(session, query, a.account_id, ids):
        account_id = row[0]
        facts.append(
            AccountFacts(
                account_id=account_id,
                name=row[1],
                segment=Segment(row[2]),
                arr=float(row[3]),
                owner_slack_id=row[4],
                renewal_date=row[5],
                automation_mode=AutomationMode(row[6]) if row[6] else None,
                always_human=bool(row[7]),
                human_handled=row[8] is not None,
                usage=tuple(usage.get(account_id, ())),
                tickets=tuple(tickets.get(account_id, ())),
                billing=tuple(billing.get(account_id, ())),
                engagement=tuple(engagement.get(account_id, ())),
                context=tuple(context.get(account_id, ())),
                milestones=tuple(milestones.get(account_id, ())),
                score_history=tuple(history.get(account_id, ())),
            )
        )
    facts.sort(key=lambda f: f.account_id)
    return facts


def book_facts(session: Session) -> BookFacts:
    total, count = session.execute(
        select(func.coalesce(func.sum(models.Account.arr), 0.0), func.count())
    ).one()
    arrs = sorted(float(value) for value in session.scalars(select(models.Account.arr)))
    percentiles = (
        tuple(arrs[min(len(arrs) - 1, round(p / 100 * (len(arrs) - 1)))] for p in range(101)) if arrs else ()
    )
    return BookFacts(total_arr=float(total), account_count=int(count), arr_percentiles=percentiles)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)
