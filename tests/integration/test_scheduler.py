"""The scheduler in `serve`: persisted jobs, and digests at each CSM's local morning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, inspect, select

from bot import scheduler
from bot.clock import FrozenClock
from bot.deps import Deps
from bot.settings import Settings
from bot.workflows.digest import is_due, post_digests
from prompts.drafting import TemplateDrafter
from storage.db import transaction
from storage.locks import try_job_lock
from storage.models import TriggerConfig, User
from tests.conftest import Database
from tests.support.recording_poster import RecordingPoster


def _deps(db: Database, clock: FrozenClock) -> tuple[Deps, RecordingPoster]:
    poster = RecordingPoster()
    return Deps(Settings(), db.session_factory, clock, TemplateDrafter(), poster), poster


def test_jobs_are_persisted_in_the_database(sqlite_db: Database, clock: FrozenClock) -> None:
    deps, _ = _deps(sqlite_db, clock)
    running = scheduler.start_scheduler(deps, sqlite_db.engine)
    try:
        jobs = {job.id: job for job in running.get_jobs()}
        assert set(jobs) == {"daily-cycle", "digests", "outbox", "slack-deliveries", "quarterly-review",
                             "trigger-tuning", "tuning-drift", "hand-backs", "escalation-ladder",
                             "conversation-purge"}  # fmt: skip
        assert jobs["conversation-purge"].next_run_time.hour == 9  # daily, three hours after the cycle
        assert jobs["escalation-ladder"].trigger.interval == timedelta(minutes=5)
        assert jobs["daily-cycle"].next_run_time.hour == 6  # TANDEM_CYCLE_TIME_UTC default
        tuning = jobs["trigger-tuning"].next_run_time  # Mondays, an hour after the cycle
        assert (tuning.weekday(), tuning.hour) == (0, 7)
        drift = jobs["tuning-drift"].next_run_time  # the other days, at the same hour
        assert drift.weekday() != 0 and drift.hour == 7
        assert scheduler.JOBS_TABLE in inspect(sqlite_db.engine).get_table_names()
    finally:
        running.shutdown(wait=False)


def test_digest_time_follows_each_users_time_zone() -> None:
    berlin = User(slack_id="U1", name="A", role="csm", timezone="Europe/Berlin", digest_time="08:30")
    new_york = User(slack_id="U2", name="B", role="csm", timezone="America/New_York", digest_time="08:30")
    at_0800_utc = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 09:00 in Berlin, 03:00 in New York
    assert is_due(berlin, at_0800_utc, "08:30")
    assert not is_due(new_york, at_0800_utc, "08:30")
    assert is_due(new_york, datetime(2026, 3, 2, 13, 31, tzinfo=UTC), "08:30")


def test_digest_job_posts_only_to_users_whose_morning_has_come(sqlite_db: Database) -> None:
    clock = FrozenClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    deps, poster = _deps(sqlite_db, clock)
    with transaction(sqlite_db.session_factory) as session:
        session.add(
            User(slack_id="U1", name="Ana", role="csm", timezone="Europe/Berlin", digest_time="08:30")
        )
        session.add(
            User(slack_id="U2", name="Ben", role="csm", timezone="America/New_York", digest_time="08:30")
        )

    report = post_digests(deps, due_only=True)
    assert report.posted == ["U1"] and report.skipped_not_due == ["U2"]
    clock.advance(hours=6)
    later = post_digests(deps, due_only=True)
    assert later.posted == ["U2"] and later.skipped_already_posted == ["U1"]
    assert [message["channel"] for message in poster.posted] == ["U1", "U2"]


def test_only_one_replica_runs_the_daily_cycle(db: Database, clock: FrozenClock) -> None:
    deps, _ = _deps(db, clock)
    scheduler._running = deps  # what start_scheduler sets in a serving process
    with try_job_lock(db.engine, "daily-cycle") as mine:
        assert mine
        with try_job_lock(db.engine, "daily-cycle") as theirs:
            # PostgreSQL: another connection (replica) is refused; SQLite serves one host.
            assert theirs is (db.backend == "sqlite")
        if db.backend == "postgres":
            scheduler.daily_cycle_job()  # a replica's job while this one holds the lock
            with db.session_factory() as session:
                assert session.scalar(select(func.count()).select_from(TriggerConfig)) == 0
    scheduler.daily_cycle_job()  # the lock is free again: the cycle runs (and seeds config v1)
    with db.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(TriggerConfig)) == 1
