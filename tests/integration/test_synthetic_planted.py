"""The seeds' hard cases are planted in every book, whatever its size, with the properties that
make each one unambiguous: read back from the database, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import models
from storage.synthetic import generate_book
from tests.conftest import Database

AS_OF = date(2026, 3, 2)
MIDNIGHT_AFTER = datetime.combine(AS_OF + timedelta(days=1), time(), tzinfo=UTC)
CALM = {"low", "normal"}


@dataclass
class Planted:
    ids: dict[str, str]
    session: Session
    total_arr: float


@pytest.fixture(params=[20, 60], ids=["20-accounts", "60-accounts"])
def planted(request: pytest.FixtureRequest, db: Database) -> Iterator[Planted]:
    summary = generate_book(db.session_factory, accounts=request.param, seed=5, as_of=AS_OF)
    with db.session_factory() as session:
        yield Planted(summary.planted, session, summary.total_arr)


def _account(p: Planted, case: str) -> models.Account:
    account = p.session.get(models.Account, p.ids[case])
    assert account is not None, f"{case} ({p.ids[case]}) is missing"
    return account


def _utilisation(p: Planted, case: str, *, first: int, last: int = 0) -> float:
    """Active users over seats for the days `first`..`last` days before as_of."""
    active, seats = p.session.execute(
        select(func.sum(models.UsageDaily.active_users), func.sum(models.UsageDaily.licensed_seats)).where(
            models.UsageDaily.account_id == p.ids[case],
            models.UsageDaily.day.between(AS_OF - timedelta(days=first), AS_OF - timedelta(days=last)),
        )
    ).one()
    return float(active) / float(seats)


def _contexts(p: Planted, case: str) -> list[models.ContextEvent]:
    query = select(models.ContextEvent).where(models.ContextEvent.account_id == p.ids[case])
    return list(p.session.scalars(query.order_by(models.ContextEvent.starts_at)))


def _tickets(p: Planted, case: str) -> list[models.Ticket]:
    return list(p.session.scalars(select(models.Ticket).where(models.Ticket.account_id == p.ids[case])))


def _billing_kinds(p: Planted, case: str) -> set[str]:
    query = select(models.BillingEvent.kind).where(models.BillingEvent.account_id == p.ids[case])
    return set(p.session.scalars(query))


def test_the_planted_ids_are_fixed(planted: Planted) -> None:
    assert planted.ids == {
        "migration": "ACC-MIGRATE",
        "incident_renewal": "ACC-INCIDENT",
        "whale": "ACC-WHALE",
        "safe_to_automate": "ACC-SMBAUTO",
        "two_complexity": "ACC-COMPLEX",
        "enterprise_onboarding": "ACC-ENTONBOARD",
        "smb_onboarding": "ACC-SMBONBOARD",
        "cascade": "ACC-CASCADE",
        "veto": "ACC-VETO",
        "frustrated": "ACC-FRUSTRATED",
        "low_reply": "ACC-LOWREPLY",
        "self_serve": "ACC-SELFSERVE",
        "expansion": "ACC-EXPAND",
        "renewal_campaign": "ACC-RENEWAL",
    }


def test_migration_drop_is_explained_by_the_move(planted: Planted) -> None:
    account = _account(planted, "migration")
    before, after = (
        _utilisation(planted, "migration", first=40, last=10),
        _utilisation(planted, "migration", first=9),
    )
    [migration] = _contexts(planted, "migration")

    assert account.segment in ("mid_market", "enterprise")
    assert 0.62 <= 1 - after / before <= 0.78  # usage fell ~70% (weekday noise either side) ...
    assert migration.kind == "migration" and migration.note == "Moving to the EU instance"
    assert (
        migration.starts_at.date() == AS_OF - timedelta(days=9) and migration.ends_at is None
    )  # ... when the move began
    assert all(t.severity in CALM and not t.is_escalation_request for t in _tickets(planted, "migration"))
    assert _billing_kinds(planted, "migration") == {"invoice_paid"}


def test_incident_lands_in_the_renewal_window(planted: Planted) -> None:
    account = _account(planted, "incident_renewal")
    [incident] = _contexts(planted, "incident_renewal")
    urgent = [t for t in _tickets(planted, "incident_renewal") if t.severity == "urgent"]

    assert account.renewal_date is not None and 30 <= (account.renewal_date - AS_OF).days <= 60
    assert incident.kind == "security_incident" and incident.ends_at is None
    assert incident.starts_at.date() == AS_OF - timedelta(days=3)
    assert len(urgent) >= 2 and all(t.opened_at >= incident.starts_at for t in urgent)
    assert any("patience" in t.body or "not acceptable" in t.body for t in urgent)
    assert _utilisation(planted, "incident_renewal", first=29) <= 0.20


def test_whale_is_above_two_percent_of_the_book_and_sliding(planted: Planted) -> None:
    account = _account(planted, "whale")
    total = planted.session.scalar(select(func.sum(models.Account.arr)))

    assert account.segment == "enterprise"
    assert total == pytest.approx(planted.total_arr)
    assert account.arr / total > 0.02
    assert _utilisation(planted, "whale", first=29) <= 0.20
    assert _utilisation(planted, "whale", first=29) < 0.5 * _utilisation(planted, "whale", first=119, last=90)


def test_safe_to_automate_is_small_calm_responsive_and_barely_used(planted: Planted) -> None:
    account = _account(planted, "safe_to_automate")
    since = datetime.combine(AS_OF - timedelta(days=89), time(), tzinfo=UTC)
    kinds = list(
        planted.session.scalars(
            select(models.EngagementEvent.kind).where(
                models.EngagementEvent.account_id == account.account_id, models.EngagementEvent.at >= since
            )
        )
    )

    assert account.segment in ("smb", "self_serve") and account.arr < 30_000
    assert account.automation_mode is None and not account.always_human
    assert _contexts(planted, "safe_to_automate") == []
    assert all(
        t.severity in CALM and not t.is_escalation_request for t in _tickets(planted, "safe_to_automate")
    )
    assert kinds.count("outreach_replied") / kinds.count("outreach_sent") >= 0.3
    assert 0.10 <= _utilisation(planted, "safe_to_automate", first=29) <= 0.20
    assert _billing_kinds(planted, "safe_to_automate") == {"invoice_paid"}


def test_two_complexity_indicators_are_active_at_once(planted: Planted) -> None:
    contexts = _contexts(planted, "two_complexity")
    active = [c for c in contexts if c.starts_at < MIDNIGHT_AFTER and c.ends_at is None]

    assert sorted(c.kind for c in active) == ["compliance_review", "custom_contract"]
    assert _utilisation(planted, "two_complexity", first=29) < 0.5
