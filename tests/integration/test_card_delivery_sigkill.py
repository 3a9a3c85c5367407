"""`python app.py cycle` killed with SIGKILL while Slack is answering its posts: the next run
finds the cards the dead process posted but never recorded (by the delivery id in each
message's metadata) and posts every card exactly once. A real process, a real kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from sqlalchemy import select

from storage.models import EscalationCard
from storage.synthetic import generate_book
from tests.conftest import Database
from tests.integration.slack_env import TOKEN
from tests.support.slack_stand_in import StandIn, running_stand_in
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2026-03-02"
KILL_AFTER_POSTS = 3


def _database_url(db: Database) -> str:
    if db.backend == "sqlite":
        return db.url
    with db.engine.connect() as connection:  # the test run's private schema (its search_path)
        schema = connection.exec_driver_sql("SELECT current_schema()").scalar_one()
    return f"{db.url}?options=-csearch_path%3D{schema}"


def _cycle(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "app.py", "cycle", "--as-of", AS_OF],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def test_a_cycle_killed_mid_post_never_posts_a_card_twice(db: Database) -> None:
    generate_book(db.session_factory, accounts=40, seed=3, as_of=date.fromisoformat(AS_OF))
    with running_stand_in() as api:
        api.delays["chat.postMessage"] = 0.5  # Slack keeps the message, then answers slowly
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(db),
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": api.api_url,
            "TANDEM_DELIVERY_STALE_SECONDS": "0",  # the restart may take over the dead claims at once
            "PYTHONPATH": str(ROOT),
        }
        for name in ("OPENAI_API_KEY", "SLACK_APP_TOKEN", "SMTP_URL"):
            env.pop(name, None)
        process = _cycle(env)
        try:
            wait_for(lambda: len(api.calls_to("chat.postMessage")) >= KILL_AFTER_POSTS, timeout=90)
            process.send_signal(signal.SIGKILL)
        finally:
            process.wait(30)
        assert process.returncode == -signal.SIGKILL
        time.sleep(0.6)  # the stand-in finishes answering the dead process
        assert _card_posts(api) >= 1, "the killed run posted no card: the test did not exercise a crash"

        rerun = _cycle(env)
        output, _ = rerun.communicate(timeout=90)
        assert rerun.returncode == 0, output

    with db.session_factory() as session:
        dm_cards = list(session.scalars(select(EscalationCard).where(EscalationCard.delivery == "dm")))
    assert dm_cards and all(card.message_ts for card in dm_cards)
    assert _card_posts(api) == len(dm_cards)  # each card once, the lost ones included
    posts = api.posts_tagged()
    assert max(posts.values()) == 1, f"posted twice: {[k for k, n in posts.items() if n > 1]}"


def _card_posts(api: StandIn) -> int:
    return sum(
        1
        for call in api.calls_to("chat.postMessage")
        if "escalation-card-why" in str(call.body.get("blocks"))
    )
