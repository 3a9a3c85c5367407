"""The daily cycle runs on exactly one of two replicas, and a killed one's day is finished once.

Both `serve` replicas have the scheduler on, with the cycle due seconds after they start
(TANDEM_CYCLE_TIME_UTC=HH:MM:SS): one runs it under the database lock (storage.locks), the
other skips. The one running it is killed by SIGKILL mid-post (Slack answers slowly); its
PostgreSQL session ends and the lock with it, so `python app.py cycle` runs at once and
completes the day: no card, draft, post, email or override row twice.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.models import Draft, EscalationCard, OutboxMessage, OverrideRecord
from storage.synthetic import generate_book
from tests.conftest import Database
from tests.support.replicas import TOKEN, database_url, kill, running_replicas
from tests.support.serve_process import ROOT, ServeProcess
from tests.support.slack_stand_in import running_stand_in
from tests.support.waiting import wait_for

pytestmark = pytest.mark.parametrize(
    "db", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)

ACCOUNTS = 40
START_SECONDS = 60  # the cycle is due this long after the replicas are launched (start-up takes 10-40 s here)
RAN = 'Running job "daily_cycle_job'
SKIPPED = "daily cycle skipped: another replica is running it"


def test_the_daily_cycle_runs_on_one_replica_and_a_killed_run_is_finished_once(
    db: Database, tmp_path: Path
) -> None:
    today = datetime.now(UTC).date()  # the replicas run on the system clock
    generate_book(db.session_factory, accounts=ACCOUNTS, seed=3, as_of=today)
    due = datetime.now(UTC) + timedelta(seconds=START_SECONDS)
    if due.date() != today:
        pytest.skip("the cycle would be due after midnight UTC, on another day than the book's")
    with running_stand_in() as api:
        api.delays["chat.postMessage"] = 0.5  # Slack keeps each card, then answers slowly
        env = {"TANDEM_SCHEDULER": "true", "TANDEM_CYCLE_TIME_UTC": due.strftime("%H:%M:%S")}
        with running_replicas(tmp_path, api.api_url, database_url(db), count=2, **env) as replicas:
            assert datetime.now(UTC) < due, "the replicas took too long to start: the cycle was due already"
            wait_for(lambda: len(api.calls_to("chat.postMessage")) >= 3, timeout=START_SECONDS + 90)
            holder = _holder(replicas)
            other = replicas[1 - replicas.index(holder)]
            kill(holder)
            api.delays.clear()
            assert other.output().count(RAN) <= 1 and "daily cycle done" not in other.output()
            rerun = _cycle(db, api.api_url, today.isoformat())
            assert rerun.returncode == 0, rerun.stdout  # the dead replica's lock went with its session
            print(
                f"\n[replicas] daily cycle: one replica ran it, the other "
                f"{'skipped it (the lock)' if SKIPPED in other.output() else 'found it run already (the job store)'}"
                f"; killed after {len(api.calls_to('chat.postMessage'))} posts; `cycle` finished the day:\n"
                + rerun.stdout.strip()[-600:]
            )
        posts = api.posts_tagged()

    with db.session_factory() as session:
        cards = session.scalars(select(EscalationCard)).all()
        drafts = Counter(session.scalars(select(Draft.signal_id)).all())
        emails = Counter(session.scalars(select(OutboxMessage.idempotency_key)).all())
        logged = Counter(
            (row.card_id, row.action)
            for row in session.scalars(select(OverrideRecord))
            if row.card_id is not None
        )
    per_account = Counter((card.account_id, card.signal_id) for card in cards)
    dm_cards = [card for card in cards if card.delivery == "dm"]
    assert dm_cards and all(card.message_ts for card in dm_cards), "a card of the day never posted"
    assert max(per_account.values()) == 1, "a card made twice"
    assert not drafts or max(drafts.values()) == 1, "a draft written twice"
    assert not emails or max(emails.values()) == 1
    assert not logged or max(logged.values()) == 1, "an override row written twice"
    assert max(posts.values()) == 1 and len(posts) >= len(dm_cards), f"posted twice: {posts}"


def _holder(replicas: list[ServeProcess]) -> ServeProcess:
    """The replica running the cycle: it started the job and did not skip it."""
    running = [r for r in replicas if RAN in r.output() and SKIPPED not in r.output()]
    assert len(running) == 1, [r.output()[-1500:] for r in replicas]
    return running[0]


def _cycle(db: Database, api_url: str, as_of: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(db),
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": api_url,
        "TANDEM_DELIVERY_STALE_SECONDS": "0",  # the dead replica's claims may be taken over at once
        "PYTHONPATH": str(ROOT),
    }
    for name in ("OPENAI_API_KEY", "SLACK_APP_TOKEN", "SMTP_URL"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "app.py", "cycle", "--as-of", as_of], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=180,
    )  # fmt: skip
