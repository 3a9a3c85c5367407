"""The synthetic book: reproducible from its seed, shaped like a real book of business, and
never written over an existing one unless asked."""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from storage import models
from storage.synthetic import PLANTED_CASES, BookAlreadySeeded, build_rows, generate_book
from storage.synthetic.random_accounts import ARR_RANGE
from tests.conftest import Database

AS_OF = date(2026, 3, 2)
ROOT = Path(__file__).resolve().parents[2]


def _dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every book table's rows, without surrogate ids, in a stable order."""
    dump = {}
    with db.session_factory() as session:
        for model in (models.User, models.Account, models.UsageDaily, models.Ticket, models.EngagementEvent):
            table = model.__table__
            columns = [column for column in table.columns if column.name != "id"]
            dump[model.__tablename__] = sorted(tuple(row) for row in session.execute(select(*columns)))
    return dump


def _digest(accounts: int, seed: int) -> str:
    book = build_rows(accounts=accounts, seed=seed, as_of=AS_OF, days=120)
    text = json.dumps(
        {model.__tablename__: rows for model, rows in book.rows.tables.items()}, default=str, sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()


def test_same_seed_same_book_and_another_seed_another_book() -> None:
    assert _digest(40, seed=7) == _digest(40, seed=7)
    assert _digest(40, seed=7) != _digest(40, seed=8)


def test_the_book_does_not_depend_on_hash_randomisation_or_the_clock() -> None:
    code = "from tests.integration.test_synthetic_book import _digest; print(_digest(30, 5))"
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for hash_seed in ("1", "2")
    }
    assert digests == {_digest(30, 5)}


def test_seeding_twice_with_replace_writes_the_identical_book(db: Database) -> None:
    first = generate_book(db.session_factory, accounts=30, seed=3, as_of=AS_OF)
    before = _dump(db)
    second = generate_book(db.session_factory, accounts=30, seed=3, as_of=AS_OF, replace=True)

    assert _dump(db) == before
    assert first == second


def test_summary_counts_are_what_the_database_holds(db: Database) -> None:
    summary = generate_book(db.session_factory, accounts=40, seed=7, as_of=AS_OF)

    with db.session_factory() as session:
        stored = {
            table.name: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in models.Base.metadata.sorted_tables
        }
        total_arr = session.scalar(select(func.sum(models.Account.arr)))
    assert summary.accounts == 40 and stored["accounts"] == 40
    assert {table: stored[table] for table in summary.counts} == summary.counts
    assert total_arr == pytest.approx(summary.total_arr)
    assert set(summary.planted) >= {
        "migration",
        "incident_renewal",
        "whale",
        "safe_to_automate",
        "two_complexity",
        "enterprise_onboarding",
        "smb_onboarding",
        "cascade",
        "veto",
        "frustrated",
        "low_reply",
        "self_serve",
        "expansion",
        "renewal_campaign",
    }
    assert set(summary.planted) == set(PLANTED_CASES)
    assert "ACC-WHALE" in summary.render() and "40 accounts" in summary.render()


def test_an_existing_book_is_never_overwritten_without_replace(db: Database) -> None:
    generate_book(db.session_factory, accounts=20, seed=1, as_of=AS_OF)
    before = _dump(db)

    with pytest.raises(BookAlreadySeeded, match=r"already holds 20 accounts.*replace=True"):
        generate_book(db.session_factory, accounts=50, seed=2, as_of=AS_OF)

    assert _dump(db) == before


def test_replace_deletes_derived_rows_but_keeps_trigger_configs(db: Database) -> None:
    generate_book(db.session_factory, accounts=20, seed=1, as_of=AS_OF)
    now = datetime(2026, 3, 2, 6, tzinfo=UTC)
    with db.session_factory() as session, session.begin():
        session.add(models.TriggerConfig(version=1, body={}, author="test", created_at=now, active=True))
        session.add(
            models.HealthSnapshot(
                account_id="ACC-00001",
                as_of=AS_OF,
                score=50,
                band="red",
                confidence=1.0,
                factors={},
                explanation="",
            )
        )

    summary = generate_book(db.session_factory, accounts=24, seed=2, as_of=AS_OF, replace=True)

    with db.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(models.Account)) == summary.accounts == 24
        assert session.scalar(select(func.count()).select_from(models.HealthSnapshot)) == 0
        assert session.scalar(select(func.count()).select_from(models.TriggerConfig)) == 1


def test_a_book_too_small_for_the_planted_cases_is_refused(sqlite_db: Database) -> None:
    with pytest.raises(ValueError, match="at least 20 accounts"):
        generate_book(sqlite_db.session_factory, accounts=19, as_of=AS_OF)


def test_the_people_one_csm_per_forty_accounts_two_managers_ops_and_admin() -> None:
    for accounts, csms in ((10, 3), (200, 5), (401, 11)):
        users = build_rows(accounts=accounts, seed=7, as_of=AS_OF, days=120).rows.of(models.User)
        roles = Counter(user["role"] for user in users)
        assert roles == {"csm": csms, "manager": 2, "ops": 1, "admin": 1}
    by_id = {user["slack_id"]: user for user in users}
    csm_rows = [user for user in users if user["role"] == "csm"]
    assert csm_rows[0]["slack_id"] == "U0CSM001"
    assert all(by_id[user["manager_slack_id"]]["role"] == "manager" for user in csm_rows)
    assert {"America/New_York", "Europe/London", "Europe/Berlin", "America/Los_Angeles"} <= {
        user["timezone"] for user in csm_rows
    }
    assert {user["digest_time"] for user in users} == {"08:30"}
    assert len({user["name"] for user in users}) == len(users)


def test_accounts_look_like_a_real_book() -> None:
    book = build_rows(accounts=1000, seed=7, as_of=AS_OF, days=120).rows
    accounts = book.of(models.Account)
    ordinary = [row for row in accounts if row["account_id"] not in PLANTED_CASES.values()]
    segments = Counter(row["segment"] for row in ordinary)
    shares = {segment: n / len(ordinary) for segment, n in segments.items()}
    for segment, expected in (
        ("enterprise", 0.10),
        ("mid_market", 0.25),
        ("smb", 0.40),
        ("self_serve", 0.25),
    ):
        assert math.isclose(shares[segment], expected, abs_tol=0.05), shares
    assert all(ARR_RANGE[row["segment"]][0] <= row["arr"] <= ARR_RANGE[row["segment"]][1] for row in ordinary)
    assert len({row["name"] for row in accounts}) == len(accounts)  # company names are unique
    renewals = [(row["renewal_date"] - AS_OF).days for row in accounts]
    assert min(renewals) >= 1 and max(renewals) <= 365
    assert sum(1 for days in renewals if 30 <= days <= 60) > 50  # renewals spread over the year
    assert all(row["contract_start"] < AS_OF and "@" in row["contact_email"] for row in accounts)

    usage = book.of(models.UsageDaily)
    assert max(row["day"] for row in usage) == AS_OF
    assert min(row["day"] for row in usage) == AS_OF - timedelta(days=119)
    assert all(0 <= row["active_users"] <= row["licensed_seats"] for row in usage)
    weekday = [row["active_users"] / row["licensed_seats"] for row in usage if row["day"].weekday() < 5]
    weekend = [row["active_users"] / row["licensed_seats"] for row in usage if row["day"].weekday() >= 5]
    assert sum(weekend) / len(weekend) < 0.5 * sum(weekday) / len(weekday)

    tickets = book.of(models.Ticket)
    assert {row["severity"] for row in tickets} == {"low", "normal", "high", "urgent"}
    assert any("losing patience" in row["body"] for row in tickets)
    assert 0 < sum(row["is_escalation_request"] for row in tickets) < 0.1 * len(tickets)
    billing = Counter(row["kind"] for row in book.of(models.BillingEvent))
    assert billing["invoice_paid"] > 0.9 * sum(billing.values())
    assert billing["invoice_overdue"] and billing["payment_failed"] and billing["downgrade"]
    engagement = Counter(row["kind"] for row in book.of(models.EngagementEvent))
    assert {"outreach_sent", "outreach_replied", "meeting", "nps"} <= set(engagement)
    nps = [row["value"] for row in book.of(models.EngagementEvent) if row["kind"] == "nps"]
    assert min(nps) >= 0 and max(nps) <= 10


def test_young_accounts_have_an_onboarding_plan_and_some_are_stalled() -> None:
    book = build_rows(accounts=500, seed=7, as_of=AS_OF, days=120).rows
    starts = {row["account_id"]: row["contract_start"] for row in book.of(models.Account)}
    with_plan = {row["account_id"] for row in book.of(models.Milestone)}
    assert with_plan and all((AS_OF - starts[account_id]).days < 90 for account_id in with_plan)
    assert with_plan == {account_id for account_id, start in starts.items() if (AS_OF - start).days < 90}
    overdue = {
        row["account_id"]
        for row in book.of(models.Milestone)
        if row["due_date"] < AS_OF and row["completed_at"] is None
    }
    assert 0 < len(overdue) < len(with_plan)
    first_usage: dict[str, date] = {}
    for row in book.of(models.UsageDaily):
        first_usage.setdefault(row["account_id"], row["day"])
    assert all(first_usage[account_id] >= starts[account_id] for account_id in with_plan)
