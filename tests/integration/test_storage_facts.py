"""The facts loader on both backends: grouping by account, window filtering, enum conversion,
UTC datetimes, explicit ids, and the book-wide figures (bulk behaviour: test_storage_facts_bulk)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.orm import Session

from scoring.types import (
    AutomationMode,
    BillingKind,
    ContextKind,
    EngagementKind,
    Segment,
    Severity,
)
from storage.models import (
    Account,
    BillingEvent,
    ContextEvent,
    EngagementEvent,
    HealthSnapshot,
    Milestone,
    Ticket,
    UsageDaily,
    User,
)
from storage.repositories.facts import book_facts, load_account_facts, usage_by_account
from tests.conftest import Database

AS_OF = date(2026, 3, 2)
WINDOW = 30
START = AS_OF - timedelta(days=WINDOW)  # 2026-01-31


def at(day: date, hour: int = 12, tz: timezone = UTC) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=tz)


def add_owner(session: Session, slack_id: str = "U1") -> None:
    session.add(User(slack_id=slack_id, name="Ana Lima", role="csm", timezone="UTC", digest_time="08:30"))
    session.flush()


def add_account(session: Session, account_id: str, **extra: Any) -> None:
    values: dict[str, Any] = {
        "name": f"Account {account_id}",
        "segment": "smb",
        "arr": 10_000.0,
        "owner_slack_id": "U1",
        "renewal_date": date(2026, 6, 30),
    }
    values.update(extra)
    session.add(Account(account_id=account_id, **values))
    session.flush()


@pytest.fixture
def book(db: Database) -> Database:
    """A1 with rows inside, before and after the window; A2 with a little; A3 with nothing."""
    with db.session_factory() as session, session.begin():
        add_owner(session)
        add_account(
            session,
            "A1",
            name="Acme Corp",
            segment="enterprise",
            arr=250_000.0,
            automation_mode="assist",
            always_human=True,
            always_human_by="U1",
            human_handled_by="U1",
            human_handled_since=at(AS_OF),
        )
        add_account(session, "A2", segment="mid_market", arr=50_000.0, renewal_date=None)
        add_account(session, "A3")
        session.add_all(
            [
                UsageDaily(account_id="A1", day=START - timedelta(days=1), active_users=1, licensed_seats=9),
                UsageDaily(account_id="A1", day=START, active_users=2, licensed_seats=9, events=5),
                UsageDaily(account_id="A1", day=AS_OF, active_users=3, licensed_seats=9, events=7),
                UsageDaily(account_id="A1", day=AS_OF + timedelta(days=1), active_users=4, licensed_seats=9),
                UsageDaily(account_id="A2", day=AS_OF - timedelta(days=3), active_users=8, licensed_seats=10),
                # Opened in the window, in UTC+2: 01:00 local is 23:00 UTC the day before.
                Ticket(
                    ticket_id="T-in",
                    account_id="A1",
                    opened_at=datetime(2026, 2, 20, 1, tzinfo=timezone(timedelta(hours=2))),
                    closed_at=at(date(2026, 2, 21)),
                    severity="urgent",
                    subject="Down",
                    body="All down",
                    is_escalation_request=True,
                ),
                Ticket(
                    ticket_id="T-old-open",
                    account_id="A1",
                    opened_at=at(date(2025, 10, 1)),
                    severity="low",
                    subject="Old",
                    body="Still open",
                ),
                Ticket(
                    ticket_id="T-old-closed",
                    account_id="A1",
                    opened_at=at(date(2025, 10, 1)),
                    closed_at=at(date(2025, 10, 2)),
                    severity="low",
                    subject="Old",
                    body="Closed",
                ),
                Ticket(
                    ticket_id="T-future",
                    account_id="A1",
                    opened_at=at(AS_OF + timedelta(days=1), 0),
                    severity="high",
                    subject="Later",
                    body="Tomorrow",
                ),
                BillingEvent(account_id="A1", day=AS_OF, kind="invoice_overdue", amount=1200.0),
                BillingEvent(account_id="A1", day=START - timedelta(days=1), kind="invoice_paid", amount=1.0),
                BillingEvent(account_id="A2", day=START, kind="upgrade", amount=300.0),
                EngagementEvent(account_id="A1", at=at(AS_OF, 23), kind="nps", value=3.0),
                EngagementEvent(account_id="A1", at=at(AS_OF + timedelta(days=1), 0), kind="meeting"),
                EngagementEvent(account_id="A1", at=at(START, 0), kind="email_replied"),
                EngagementEvent(account_id="A1", at=at(START - timedelta(days=1), 23), kind="meeting"),
                ContextEvent(account_id="A1", kind="migration", starts_at=at(date(2025, 1, 1)), note="v2"),
                ContextEvent(
                    account_id="A1",
                    kind="layoffs",
                    starts_at=at(date(2025, 12, 1)),
                    ends_at=at(START + timedelta(days=2)),
                ),
                ContextEvent(
                    account_id="A1",
                    kind="merger",
                    starts_at=at(date(2025, 6, 1)),
                    ends_at=at(START - timedelta(days=1)),
                ),
                ContextEvent(
                    account_id="A1", kind="champion_change", starts_at=at(AS_OF + timedelta(days=2))
                ),
                Milestone(
                    account_id="A1",
                    step="kickoff",
                    due_date=date(2024, 1, 10),
                    completed_at=at(date(2024, 1, 9)),
                ),
                Milestone(account_id="A1", step="sso", due_date=date(2026, 2, 15)),
                HealthSnapshot(**_snap("A1", START - timedelta(days=1), 90)),
                HealthSnapshot(**_snap("A1", AS_OF - timedelta(days=1), 70)),
                HealthSnapshot(**_snap("A1", START, 80)),
                HealthSnapshot(**_snap("A1", AS_OF, 10)),
            ]
        )
    return db


def _snap(account_id: str, day: date, score: int) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "as_of": day,
        "score": score,
        "band": "green",
        "confidence": 1.0,
        "factors": {},
        "explanation": "",
    }


def test_facts_are_grouped_by_account_and_filtered_to_the_window(book: Database) -> None:
    with book.session_factory() as session:
        facts = {f.account_id: f for f in load_account_facts(session, as_of=AS_OF, window_days=WINDOW)}

    assert sorted(facts) == ["A1", "A2", "A3"]
    a1, a2, a3 = facts["A1"], facts["A2"], facts["A3"]
    assert [(u.day, u.active_users, u.events) for u in a1.usage] == [(START, 2, 5), (AS_OF, 3, 7)]
    assert [u.active_users for u in a2.usage] == [8]
    assert {t.ticket_id for t in a1.tickets} == {"T-in", "T-old-open"}
    assert [(b.day, b.kind) for b in a1.billing] == [(AS_OF, BillingKind.INVOICE_OVERDUE)]
    assert [(b.kind, b.amount) for b in a2.billing] == [(BillingKind.UPGRADE, 300.0)]
    assert [e.kind for e in a1.engagement] == [EngagementKind.EMAIL_REPLIED, EngagementKind.NPS]
    assert a1.engagement[1].value == 3.0
    assert {c.kind for c in a1.context} == {ContextKind.MIGRATION, ContextKind.LAYOFFS}
    assert [m.step for m in a1.milestones] == ["kickoff", "sso"]  # the whole plan, oldest first
    assert a1.score_history == ((START, 80), (AS_OF - timedelta(days=1), 70))  # not today's
    assert a3.usage == a3.tickets == a3.billing == a3.engagement == a3.context == a3.milestones == ()
    assert a3.score_history == ()


def test_facts_convert_strings_to_enums_and_flags(book: Database) -> None:
    with book.session_factory() as session:
        facts = {f.account_id: f for f in load_account_facts(session, as_of=AS_OF, window_days=WINDOW)}

    a1, a2 = facts["A1"], facts["A2"]
    assert a1.segment is Segment.ENTERPRISE and a2.segment is Segment.MID_MARKET
    assert a1.automation_mode is AutomationMode.ASSIST and a2.automation_mode is None
    assert a1.always_human and a1.human_handled
    assert not a2.always_human and not a2.human_handled
    assert (a1.name, a1.arr, a1.owner_slack_id, a1.renewal_date) == (
        "Acme Corp",
        250_000.0,
        "U1",
        date(2026, 6, 30),
    )
    assert a2.renewal_date is None
    ticket = next(t for t in a1.tickets if t.ticket_id == "T-in")
    assert ticket.severity is Severity.URGENT and ticket.is_escalation_request
    assert isinstance(a1.billing[0].kind, BillingKind)
    assert all(isinstance(c.kind, ContextKind) for c in a1.context)


def test_facts_datetimes_come_back_as_utc(book: Database) -> None:
    with book.session_factory() as session:
        (a1,) = load_account_facts(session, as_of=AS_OF, window_days=WINDOW, account_ids=["A1"])

    ticket = next(t for t in a1.tickets if t.ticket_id == "T-in")
    assert ticket.opened_at == datetime(2026, 2, 19, 23, tzinfo=UTC)
    assert ticket.opened_at.utcoffset() == timedelta(0)
    moments = [ticket.closed_at, a1.engagement[0].at, a1.context[0].starts_at, a1.milestones[0].completed_at]
    assert all(m is not None and m.tzinfo is not None and m.utcoffset() == timedelta(0) for m in moments)
    layoffs = next(c for c in a1.context if c.kind is ContextKind.LAYOFFS)
    assert layoffs.ends_at == at(START + timedelta(days=2))


def test_facts_for_given_ids_only_sorted_and_unknown_ids_skipped(book: Database) -> None:
    with book.session_factory() as session:
        facts = load_account_facts(session, as_of=AS_OF, window_days=WINDOW, account_ids={"A3", "A1", "nope"})
        none = load_account_facts(session, as_of=AS_OF, account_ids=[])

    assert [f.account_id for f in facts] == ["A1", "A3"]
    assert len(facts[0].usage) == 2
    assert none == []


def test_usage_by_account_is_the_usage_the_facts_hold(book: Database) -> None:
    with book.session_factory() as session:
        facts = load_account_facts(session, as_of=AS_OF, window_days=WINDOW, account_ids=["A1", "A2", "A3"])
        usage = usage_by_account(
            session, as_of=AS_OF, window_days=WINDOW, account_ids=["A3", "A1", "A2", "nope"]
        )
        latest = usage_by_account(session, as_of=AS_OF, window_days=0, account_ids=["A1"])

    assert usage == {f.account_id: f.usage for f in facts if f.usage}  # A3 has none: no entry
    assert [(u.day, u.active_users) for u in latest["A1"]] == [(AS_OF, 3)]  # the window bounds it


def test_book_facts_sums_arr_and_counts_accounts(book: Database) -> None:
    with book.session_factory() as session:
        figures = book_facts(session)

    assert figures.total_arr == 310_000.0
    assert figures.account_count == 3
    assert len(figures.arr_percentiles) == 101
    assert figures.arr_percentiles[0] == 10_000.0 and figures.arr_percentiles[100] == 250_000.0
    assert figures.arr_at_percentile(0.5) == 50_000.0


def test_book_facts_of_an_empty_book(db: Database) -> None:
    with db.session_factory() as session:
        figures = book_facts(session)

    assert (figures.total_arr, figures.account_count, figures.arr_percentiles) == (0.0, 0, ())
