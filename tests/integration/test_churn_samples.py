"""Labelled churn samples: month-end rows labelled by churn within the horizon on a hand-built
book, renewal rows that are outcome_samples' own, and tables that never read past their day."""

from __future__ import annotations

import math
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import update

from scoring.config import FACTORS, load_default_config
from scoring.features import FeatureTable
from scoring.health import score_columns
from storage import models
from storage.db import transaction
from storage.repositories.churn_samples import (
    MONTHLY,
    RENEWAL,
    ChurnSamples,
    SampleBatch,
    churn_sample_batches,
)
from storage.repositories.outcomes import outcome_samples
from storage.synthetic import generate_book
from storage.synthetic.outcomes import plant_outcomes
from tests.conftest import Database
from tests.support.factories import add_account, add_people

CONFIG = load_default_config()
FIRST_DAY, LAST_DAY = date(2024, 12, 1), date(2025, 10, 31)
A_CHURNS = date(2025, 5, 20)  # churned_at: a monthly customer leaves
D_CHURNS = date(2025, 6, 30)  # churned at its renewal
B_RENEWS = date(2025, 9, 15)  # renewed; its account row has since moved on to 2026-09-15
MONTH_ENDS = [date(2025, m, d) for m, d in ((1, 31), (2, 28), (3, 31), (4, 30), (5, 31), (6, 30), (7, 31))]


def _usage(session: Any, account_id: str, first: date, last: date) -> None:
    days = (last - first).days + 1
    session.add_all(
        models.UsageDaily(
            account_id=account_id, day=first + timedelta(days=k), active_users=30, licensed_seats=40, events=0
        )
        for k in range(days)
    )


def _hand_built_book(db: Database) -> None:
    """A: a monthly customer who leaves on A_CHURNS; B: stays (renewed on B_RENEWS); C: a
    customer from 2025-03-15; D: churns at its renewal on D_CHURNS; E: no data at all."""
    with transaction(db.session_factory) as session:
        add_people(session)
        for account_id in "ABCDE":
            add_account(session, f"ACC-{account_id}", f"Account {account_id}")
        starts = {"ACC-C": date(2025, 3, 15)}
        renewals = {"ACC-B": date(2026, 9, 15), "ACC-D": D_CHURNS}
        for account_id, start in starts.items():
            session.execute(
                update(models.Account)
                .where(models.Account.account_id == account_id)
                .values(contract_start=start)
            )
        for account_id, renewal in renewals.items():
            session.execute(
                update(models.Account)
                .where(models.Account.account_id == account_id)
                .values(renewal_date=renewal)
            )
        _usage(session, "ACC-A", FIRST_DAY, A_CHURNS)
        _usage(session, "ACC-B", FIRST_DAY, LAST_DAY)
        _usage(session, "ACC-C", date(2025, 3, 15), LAST_DAY)
        _usage(session, "ACC-D", FIRST_DAY, D_CHURNS)
        session.add_all(
            [
                models.AccountChurn(account_id="ACC-A", churned_at=A_CHURNS),
                models.RenewalOutcome(account_id="ACC-D", renewal_date=D_CHURNS, outcome="churned"),
                models.RenewalOutcome(account_id="ACC-B", renewal_date=B_RENEWS, outcome="renewed"),
            ]
        )


def _monthly(samples: ChurnSamples) -> dict[date, dict[str, int]]:
    return {
        batch.as_of: dict(zip(batch.table.account_ids, batch.labels.tolist(), strict=True))
        for batch in samples.batches
        if batch.source == MONTHLY
    }


def test_month_ends_are_labelled_by_churn_within_the_horizon(db: Database) -> None:
    _hand_built_book(db)

    samples = churn_sample_batches(db.session_factory, config=CONFIG, horizon_days=90)

    assert _monthly(samples) == {
        date(2025, 1, 31): {"ACC-A": 0, "ACC-B": 0, "ACC-D": 0},  # C not a customer yet
        date(2025, 2, 28): {"ACC-A": 1, "ACC-B": 0, "ACC-D": 0},  # A leaves 81 days later
        date(2025, 3, 31): {"ACC-A": 1, "ACC-B": 0, "ACC-C": 0, "ACC-D": 0},  # D: 91 days, outside
        date(2025, 4, 30): {"ACC-A": 1, "ACC-B": 0, "ACC-C": 0, "ACC-D": 1},
        date(2025, 5, 31): {"ACC-B": 0, "ACC-C": 0, "ACC-D": 1},  # A gone
        date(2025, 6, 30): {"ACC-B": 0, "ACC-C": 0},  # D churned on the day: gone
        date(2025, 7, 31): {"ACC-B": 0, "ACC-C": 0},  # the last whose 90 days are all on record
    }
    assert samples.monthly_without_data == len(MONTH_ENDS)  # E, every month
    assert [(b.as_of, b.source) for b in samples.batches] == sorted(
        (b.as_of, b.source) for b in samples.batches
    )
    for batch in samples.batches:
        assert batch.table.as_of == batch.as_of and batch.labels.shape == (len(batch.table),)
        assert batch.table.columns["arr"].shape == (len(batch.table),)


def test_renewal_batches_share_the_month_end_load_and_see_the_renewal_due_then(db: Database) -> None:
    _hand_built_book(db)

    samples = churn_sample_batches(db.session_factory, config=CONFIG, horizon_days=90, lead_days=30)

    renewals = [b for b in samples.batches if b.source == RENEWAL]
    assert [(b.as_of, b.table.account_ids, b.labels.tolist()) for b in renewals] == [
        (D_CHURNS - timedelta(days=30), ["ACC-D"], [1]),  # May 31, also a month-end
        (B_RENEWS - timedelta(days=30), ["ACC-B"], [0]),
    ]
    assert all(b.table["renewal_days"].tolist() == [30.0] for b in renewals)
    january = next(b for b in samples.batches if b.as_of == date(2025, 1, 31))
    days = dict(zip(january.table.account_ids, january.table["renewal_days"].tolist(), strict=True))
    assert days["ACC-B"] == (B_RENEWS - date(2025, 1, 31)).days  # not the account row's 2026 date


def test_months_keeps_the_latest_month_ends_and_a_longer_horizon_ends_sooner(db: Database) -> None:
    _hand_built_book(db)

    latest = churn_sample_batches(db.session_factory, config=CONFIG, months=2)
    longer = churn_sample_batches(db.session_factory, config=CONFIG, horizon_days=120)

    assert sorted(_monthly(latest)) == MONTH_ENDS[-2:]
    assert sorted(_monthly(longer)) == MONTH_ENDS[:-1]  # 2025-07-31 + 120 days is not on record yet
    assert _monthly(longer)[date(2025, 1, 31)]["ACC-A"] == 1  # A leaves 109 days after


def _plain(value: Any) -> Any:
    """A field's value, comparable with ==: arrays as lists, NaN as None."""
    if isinstance(value, dict):
        return {name: _plain(item) for name, item in value.items()}
    if isinstance(value, np.ndarray):
        return [_plain(item) for item in value.tolist()]
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return None if isinstance(value, float) and math.isnan(value) else value


def _state(table: FeatureTable) -> dict[str, Any]:
    return {spec.name: _plain(getattr(table, spec.name)) for spec in fields(table)}


def _tables(samples: ChurnSamples) -> dict[tuple[date, str], dict[str, Any]]:
    return {(b.as_of, b.source): _state(b.table) for b in samples.batches}


def test_nothing_after_a_batch_day_changes_its_table(db: Database) -> None:
    _hand_built_book(db)
    with transaction(db.session_factory) as session:
        session.add(models.Milestone(account_id="ACC-C", step="kickoff", due_date=date(2025, 4, 1)))
    before = churn_sample_batches(db.session_factory, config=CONFIG)

    later = datetime(2025, 4, 2, 10, tzinfo=UTC)  # after the 2025-03-31 month-end
    with transaction(db.session_factory) as session:
        session.execute(
            update(models.UsageDaily)
            .where(models.UsageDaily.day > date(2025, 3, 31))
            .values(active_users=1, licensed_seats=400)
        )
        session.add_all(
            [
                models.FeatureUsage(account_id="ACC-B", day=later.date(), feature="export", count=9),
                models.Ticket(
                    ticket_id="T-1", account_id="ACC-B", opened_at=later, severity="urgent", subject="Down",
                    body="Everything is broken", is_escalation_request=True, sentiment=-0.9,
                ),
                models.BillingEvent(account_id="ACC-B", day=later.date(), kind="payment_failed", amount=10.0),
                models.EngagementEvent(account_id="ACC-B", at=later, kind="nps", value=1.0),
                models.ContextEvent(account_id="ACC-B", kind="data_gap", starts_at=later, note="export broke"),
                models.AccountChurn(account_id="ACC-C", churned_at=date(2025, 6, 1)),
            ]
        )  # fmt: skip
        session.execute(
            update(models.Milestone).where(models.Milestone.account_id == "ACC-C").values(completed_at=later)
        )
    after = churn_sample_batches(db.session_factory, config=CONFIG)

    old, new = _tables(before), _tables(after)
    early = [key for key in old if key[0] <= date(2025, 3, 31)]
    assert len(early) == 3
    assert all(new[key] == old[key] for key in early)
    assert new[(date(2025, 4, 30), MONTHLY)] != old[(date(2025, 4, 30), MONTHLY)]  # the data does land later
    assert _monthly(after)[date(2025, 3, 31)]["ACC-C"] == 1  # the label sees the churn, the table does not


@pytest.fixture
def synthetic(db: Database) -> Database:
    generate_book(db.session_factory, accounts=40, seed=5, as_of=date(2026, 3, 2), days=240)
    with transaction(db.session_factory) as session:
        plant_outcomes(session, as_of=date(2026, 3, 2), config=CONFIG, seed=5)
    return db


def test_renewal_batches_hold_the_accounts_and_days_outcome_samples_scores(synthetic: Database) -> None:
    with synthetic.session_factory() as session:
        expected = outcome_samples(session, config=CONFIG, lead_days=30)

    samples = churn_sample_batches(synthetic.session_factory, config=CONFIG, lead_days=30)

    renewals: list[SampleBatch] = [b for b in samples.batches if b.source == RENEWAL]
    got = {
        (account_id, batch.as_of): (label, scores)
        for batch in renewals
        for account_id, label, scores in zip(
            batch.table.account_ids,
            batch.labels.tolist(),
            score_columns(batch.table, CONFIG).factor_scores.tolist(),
            strict=True,
        )
    }
    want = {
        (s.account_id, s.renewal_date - timedelta(days=30)): (
            int(s.churned),
            np.array([np.nan if s.factors[name] is None else s.factors[name] for name in FACTORS]),
        )
        for s in expected.samples
    }
    assert samples.without_data == expected.without_data
    assert set(got) == set(want) and len(got) == len(expected.samples) > 0
    for key, (label, scores) in want.items():
        assert got[key][0] == label
        np.testing.assert_allclose(got[key][1], scores, equal_nan=True)
    assert any(b.source == MONTHLY for b in samples.batches)
