"""Health snapshots on both backends: the stored JSON, reruns replacing a day's rows, and the
score changes the digest shows as movers."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from scoring.types import Band, FactorScore, HealthResult
from storage.models import Account, HealthSnapshot, User
from storage.repositories.snapshots import (
    latest_scores,
    replace_day,
    save_snapshots,
    score_changes,
    snapshots_on,
)
from tests.conftest import Database

AS_OF = date(2026, 3, 2)
IDS = ("A1", "A2", "A3")


def result(account_id: str, day: date, score: int, *, notes: tuple[str, ...] = ()) -> HealthResult:
    return HealthResult(
        account_id=account_id,
        as_of=day,
        score=score,
        band=Band.GREEN if score >= 75 else Band.YELLOW if score >= 60 else Band.RED,
        confidence=0.8,
        factors=(
            FactorScore("usage", 40.0, 0.6, "12 of 40 seats active (30%)", 30),
            FactorScore("support", 90.123, 0.4, "1 ticket in 30 days", 1),
        ),
        explanation=f"Score {score}",
        notes=notes,
    )


@pytest.fixture
def book(db: Database) -> Database:
    with db.session_factory() as session, session.begin():
        session.add(User(slack_id="U1", name="Ana", role="csm", timezone="UTC", digest_time="08:30"))
        session.flush()
        for account_id in IDS:
            session.add(
                Account(account_id=account_id, name=account_id, segment="smb", arr=1.0, owner_slack_id="U1")
            )
    return db


def count(db: Database) -> int:
    with db.session_factory() as session:
        return session.scalar(select(func.count()).select_from(HealthSnapshot)) or 0


def test_save_snapshots_round_trips_factors_notes_and_config_version(book: Database) -> None:
    with book.session_factory() as session, session.begin():
        written = save_snapshots(
            session,
            results=[result("A1", AS_OF, 48, notes=("usage drop during a migration",))],
            config_version=3,
        )

    with book.session_factory() as session:
        snap = snapshots_on(session, as_of=AS_OF)["A1"]

    assert written == 1
    assert (snap.score, snap.band, snap.confidence, snap.config_version) == (48, "red", 0.8, 3)
    assert snap.explanation == "Score 48"
    assert snap.factors == {
        "factors": {
            "usage": {
                "score": 40.0,
                "weight": 0.6,
                "detail": "12 of 40 seats active (30%)",
                "data_points": 30,
            },
            "support": {"score": 90.12, "weight": 0.4, "detail": "1 ticket in 30 days", "data_points": 1},
        },
        "notes": ["usage drop during a migration"],
    }


def test_rerunning_a_day_replaces_its_rows_and_keeps_other_days(book: Database) -> None:
    yesterday = AS_OF - timedelta(days=1)
    with book.session_factory() as session, session.begin():
        save_snapshots(session, results=[result(i, yesterday, 70) for i in IDS], config_version=1)
        save_snapshots(session, results=[result(i, AS_OF, 60) for i in IDS], config_version=1)

    with book.session_factory() as session, session.begin():
        snapshots_on(session, as_of=AS_OF)  # rows already in the session's identity map
        written = save_snapshots(
            session, results=[result("A1", AS_OF, 50), result("A2", AS_OF, 55)], config_version=2
        )

    with book.session_factory() as session:
        today = snapshots_on(session, as_of=AS_OF)
        before = snapshots_on(session, as_of=yesterday)

    assert written == 2
    assert count(book) == 6
    assert {k: (v.score, v.config_version) for k, v in today.items()} == {
        "A1": (50, 2),
        "A2": (55, 2),
        "A3": (60, 1),  # not in the rerun: left as it was
    }
    assert {v.score for v in before.values()} == {70}


def stored_columns(db: Database, day: date) -> dict[str, tuple[object, ...]]:
    columns = [c.key for c in HealthSnapshot.__table__.columns]
    with db.session_factory() as session:
        return {k: tuple(getattr(v, c) for c in columns) for k, v in snapshots_on(session, as_of=day).items()}


def test_replacing_a_day_in_bulk_stores_what_saving_one_by_one_does(book: Database) -> None:
    """The bulk path (COPY on PostgreSQL, a raw executemany on SQLite) writes every column as
    the ORM's path does: JSON with quotes and non-ASCII text, None, floats, the day."""
    yesterday = AS_OF - timedelta(days=1)
    tricky = replace(
        result("A2", AS_OF, 48, notes=('a "quoted" note', "Migration (“CRM”) — gap")),
        factors=(
            FactorScore("usage", 40, 0.333333333, "12 of 40 seats active (30%), down 7%", 30),
            FactorScore("onboarding", 66.666666, 0.1, '2 overdue (“Kick-off” was due) \\ "x"\n', 2),
        ),
        expansion_readiness=61,
        renewal_risk=0.123456789,
        explanation="Red (48): tab\tand “quotes”",
    )
    day = [result("A1", AS_OF, 70), tricky]
    with book.session_factory() as session, session.begin():
        save_snapshots(session, results=day, config_version=4)
    expected = stored_columns(book, AS_OF)
    with book.session_factory() as session, session.begin():
        save_snapshots(session, results=[result(i, yesterday, 90) for i in IDS], config_version=1)
        save_snapshots(session, results=[result("A3", AS_OF, 10)], config_version=1)  # not in the rerun

    with book.session_factory() as session, session.begin():
        written = replace_day(session, as_of=AS_OF, results=day, config_version=4)

    assert written == 2
    assert stored_columns(book, AS_OF) == expected  # A3's row of that day is gone with the day
    assert {k: v[2] for k, v in stored_columns(book, yesterday).items()} == {i: 90 for i in IDS}


def test_replacing_a_day_refuses_a_result_of_another_day(book: Database) -> None:
    with book.session_factory() as session, pytest.raises(ValueError, match="2026-03-02"):
        replace_day(
            session, as_of=AS_OF, results=[result("A1", AS_OF - timedelta(days=1), 50)], config_version=1
        )


def test_a_result_given_twice_keeps_the_last(book: Database) -> None:
    with book.session_factory() as session, session.begin():
        written = save_snapshots(
            session, results=[result("A1", AS_OF, 40), result("A1", AS_OF, 41)], config_version=None
        )

    with book.session_factory() as session:
        snap = snapshots_on(session, as_of=AS_OF)["A1"]

    assert written == 1 and snap.score == 41 and snap.config_version is None


def test_save_nothing_writes_nothing(book: Database) -> None:
    with book.session_factory() as session, session.begin():
        assert save_snapshots(session, results=[], config_version=1) == 0
    assert count(book) == 0


def test_score_changes_compare_with_the_day_or_the_closest_earlier(book: Database) -> None:
    seven = AS_OF - timedelta(days=7)
    with book.session_factory() as session, session.begin():
        rows = [
            result("A1", seven, 80),  # exactly 7 days ago
            result("A1", seven - timedelta(days=1), 99),  # older: ignored when the day exists
            result("A2", seven - timedelta(days=1), 75),  # falls back to the day before
            result("A2", seven - timedelta(days=2), 10),
            result("A3", seven - timedelta(days=10), 90),  # too old to compare with
            result("A3", seven + timedelta(days=1), 91),  # after the day: not a "days ago" score
        ]
        rows += [result("A1", AS_OF, 50), result("A2", AS_OF, 77), result("A3", AS_OF, 60)]
        save_snapshots(session, results=rows, config_version=1)

    with book.session_factory() as session:
        changes = score_changes(session, as_of=AS_OF, days=7)
        nothing_today = score_changes(session, as_of=AS_OF + timedelta(days=1), days=8)

    assert changes == {"A1": (80, 50), "A2": (75, 77)}
    assert nothing_today == {}


def test_score_changes_refuses_a_non_positive_span(book: Database) -> None:
    with book.session_factory() as session, pytest.raises(ValueError, match="days"):
        score_changes(session, as_of=AS_OF, days=0)


def test_latest_scores_take_each_accounts_newest_snapshot_with_its_segment(book: Database) -> None:
    with book.session_factory() as session, session.begin():
        session.execute(update(Account).where(Account.account_id == "A3").values(segment="enterprise"))
        yesterday = AS_OF - timedelta(days=1)
        save_snapshots(session, results=[result(i, yesterday, 70) for i in IDS], config_version=1)
        save_snapshots(session, results=[result("A1", AS_OF, 50), result("A2", AS_OF, 55)], config_version=1)
        session.execute(
            update(HealthSnapshot)
            .where(HealthSnapshot.account_id == "A2", HealthSnapshot.as_of == AS_OF)
            .values(expansion_readiness=85)
        )

    with book.session_factory() as session:
        latest = {scored.account_id: scored for scored in latest_scores(session)}

    assert {k: (v.as_of, v.score, v.segment) for k, v in latest.items()} == {
        "A1": (AS_OF, 50, "smb"),
        "A2": (AS_OF, 55, "smb"),
        "A3": (AS_OF - timedelta(days=1), 70, "enterprise"),  # not scored today: yesterday's stands
    }
    assert latest["A1"].factors == {"usage": (40.0, 0.6), "support": (90.12, 0.4)}
    assert (latest["A1"].expansion_readiness, latest["A2"].expansion_readiness) == (None, 85)


def test_latest_scores_of_an_empty_book_are_empty(book: Database) -> None:
    with book.session_factory() as session:
        assert latest_scores(session) == []
