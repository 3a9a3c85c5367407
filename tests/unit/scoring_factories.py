"""Hand-built AccountFacts for scoring tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from scoring.types import (
    AccountFacts,
    BillingEvent,
    BillingKind,
    BookFacts,
    ContextEvent,
    ContextKind,
    EngagementEvent,
    EngagementKind,
    Segment,
    Severity,
    Ticket,
    UsageDay,
)

AS_OF = date(2026, 3, 2)


def at(days_ago: float) -> datetime:
    return datetime(2026, 3, 2, 12, tzinfo=UTC) - timedelta(days=days_ago)


def usage(active: int | list[int], seats: int = 100, days: int = 60) -> tuple[UsageDay, ...]:
    """`days` days ending on AS_OF; `active` is a constant or a per-day list (oldest first)."""
    values = active if isinstance(active, list) else [active] * days
    start = AS_OF - timedelta(days=len(values) - 1)
    return tuple(UsageDay(start + timedelta(days=i), value, seats) for i, value in enumerate(values))


def paid_billing() -> tuple[BillingEvent, ...]:
    return tuple(
        BillingEvent(AS_OF - timedelta(days=5 + 30 * m), BillingKind.INVOICE_PAID, 1000.0) for m in range(3)
    )


def engaged(replies: int = 4, sent: int = 8) -> tuple[EngagementEvent, ...]:
    events = [EngagementEvent(at(3 + 10 * n), EngagementKind.OUTREACH_SENT) for n in range(sent)]
    events += [EngagementEvent(at(2 + 10 * n), EngagementKind.OUTREACH_REPLIED) for n in range(replies)]
    return tuple(events)


def account(**changes: object) -> AccountFacts:
    base = AccountFacts(
        account_id="ACC-1",
        name="Acme Corp",
        segment=Segment.SMB,
        arr=10_000.0,
        owner_slack_id="U1",
        renewal_date=AS_OF + timedelta(days=200),
        usage=usage(75),
        billing=paid_billing(),
        engagement=engaged(),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def ticket(
    days_ago: float, severity: Severity = Severity.NORMAL, *, escalation: bool = False, closed: bool = True
) -> Ticket:
    opened = at(days_ago)
    return Ticket(
        f"T-{days_ago}-{severity}",
        opened,
        severity,
        "Subject",
        "Body",
        opened + timedelta(hours=5) if closed else None,
        escalation,
    )


def context(kind: ContextKind, days_ago: float, ended_days_ago: float | None = None) -> ContextEvent:
    return ContextEvent(kind, at(days_ago), at(ended_days_ago) if ended_days_ago is not None else None)


def book(total_arr: float = 1_000_000.0) -> BookFacts:
    return BookFacts(
        total_arr=total_arr, account_count=100, arr_percentiles=tuple(float(i * 1000) for i in range(101))
    )
