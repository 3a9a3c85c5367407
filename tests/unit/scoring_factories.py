"""Hand-built AccountFacts (and the odd HealthResult or Signal) for scoring tests.

The default `account()` is a healthy, calm, low-value SMB account with every core factor's
data; tests change only what they are about.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from scoring.types import (
    AccountFacts,
    Band,
    BillingEvent,
    BillingKind,
    BookFacts,
    ContextEvent,
    ContextKind,
    EngagementEvent,
    EngagementKind,
    FactorScore,
    HealthResult,
    Milestone,
    Segment,
    Severity,
    Signal,
    Ticket,
    TriggerKey,
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


def billing(kind: BillingKind, count: int) -> tuple[BillingEvent, ...]:
    return paid_billing() + tuple(BillingEvent(AS_OF - timedelta(days=i), kind, 100.0) for i in range(count))


def engaged(replies: int = 4, sent: int = 8) -> tuple[EngagementEvent, ...]:
    events = [EngagementEvent(at(3 + 10 * n), EngagementKind.OUTREACH_SENT) for n in range(sent)]
    events += [EngagementEvent(at(2 + 10 * n), EngagementKind.OUTREACH_REPLIED) for n in range(replies)]
    return tuple(events)


def event(kind: EngagementKind, days_ago: float, value: float | None = None) -> EngagementEvent:
    return EngagementEvent(at(days_ago), kind, value)


def ticket(
    days_ago: float,
    severity: Severity = Severity.NORMAL,
    *,
    escalation: bool = False,
    closed: bool = True,
    body: str = "Body",
) -> Ticket:
    opened = at(days_ago)
    return Ticket(
        f"T-{days_ago}-{severity}-{body[:10]}",
        opened,
        severity,
        "Subject",
        body,
        opened + timedelta(hours=5) if closed else None,
        escalation,
    )


def account(**changes: object) -> AccountFacts:
    base = AccountFacts(
        account_id="ACC-1",
        name="Acme Corp",
        segment=Segment.SMB,
        arr=10_000.0,
        owner_slack_id="U1",
        renewal_date=AS_OF + timedelta(days=200),
        usage=usage(75),
        tickets=(ticket(60, Severity.LOW),),  # a ticket on record, none recent
        billing=paid_billing(),
        engagement=engaged(),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def context(
    kind: ContextKind, days_ago: float, ended_days_ago: float | None = None, note: str = ""
) -> ContextEvent:
    return ContextEvent(kind, at(days_ago), at(ended_days_ago) if ended_days_ago is not None else None, note)


def milestone(step: str, due_days_ago: int, done_days_ago: float | None = None) -> Milestone:
    done = at(done_days_ago) if done_days_ago is not None else None
    return Milestone(step, AS_OF - timedelta(days=due_days_ago), done)


def book(total_arr: float = 1_000_000.0) -> BookFacts:
    """A book whose ARR percentiles run 0, 1,000, ... 100,000 (the 90th is 90,000)."""
    return BookFacts(
        total_arr=total_arr, account_count=100, arr_percentiles=tuple(float(i * 1000) for i in range(101))
    )


def health(score: int, band: Band = Band.RED, account_id: str = "ACC-1") -> HealthResult:
    """A hand-made result with one usage factor, for trigger tests that need an exact score."""
    factor = FactorScore("usage", float(score), 1.0, "9 of 40 seats active", 30)
    return HealthResult(account_id, AS_OF, score, band, 1.0, (factor,), f"{band.value} ({score})")


def signal(trigger: TriggerKey = TriggerKey.HEALTH_LOW, account_id: str = "ACC-1") -> Signal:
    return Signal(account_id, trigger, "Health 48 (red) is below 60.", {"score": 48})
