"""Benchmark: posting owed cards exactly once, through the Web API stand-in over HTTP.

Seeds N pending DM cards (one per account, with a draft), then times `post_owed_cards`: owe a
delivery per card (one INSERT ... SELECT), claim each in its own committed transaction, render,
post (chat.postMessage with metadata) and record. Also times an idle sweep (what the scheduler
pays every minute when nothing is owed) and a crash recovery: the same cards with every claim
left stale, each looked for in the DM's history and adopted. Not part of the test suite.

    python tests/benchmarks/bench_delivery.py [--cards 1000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import text, update

from bot.clock import FrozenClock
from bot.deps import Deps
from bot.posting import SlackPoster
from bot.settings import Settings
from bot.slack_client import make_web_client
from bot.workflows.card_posting import post_owed_cards
from prompts.drafting import TemplateDrafter
from scoring.types import Decision, Reason, Route, Signal, TriggerKey
from storage.db import make_engine, make_session_factory, transaction, upgrade
from storage.models import Account, EscalationCard, HealthSnapshot, SlackDelivery, User
from storage.repositories import cards, drafts, signals
from tests.support.slack_stand_in import running_stand_in

AS_OF = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def seed_cards(factory: object, count: int) -> None:
    with transaction(factory) as session:  # type: ignore[arg-type]
        for table in ("slack_deliveries", "escalation_cards", "drafts", "signals", "health_snapshots",
                      "accounts", "users"):  # fmt: skip
            session.execute(text(f"DELETE FROM {table}"))
        session.add(
            User(slack_id="U0CSM001", name="Ana Lima", role="csm", timezone="UTC", digest_time="08:30")
        )
        session.flush()
        for n in range(count):
            account_id = f"ACC-{n:06d}"
            session.add(Account(account_id=account_id, name=f"Account {n}", segment="smb", arr=10_000.0,
                                owner_slack_id="U0CSM001"))  # fmt: skip
            session.add(HealthSnapshot(account_id=account_id, as_of=AS_OF, score=48, band="red", confidence=1.0,
                                       factors={}, explanation="Red (48)"))  # fmt: skip
        session.flush()
        for n in range(count):
            account_id = f"ACC-{n:06d}"
            decision = Decision(Signal(account_id, TriggerKey.HEALTH_LOW, "Health Red (48)"), Route.ASSIST,
                                (Reason("matrix", "Human with automation assist."),))  # fmt: skip
            signal, _ = signals.record_signal(
                session, decision=decision, as_of=AS_OF, now=NOW, config_version=1
            )
            draft = drafts.save_draft(session, account_id=account_id, signal_id=signal.id, kind="check_in",
                                      subject="Checking in", body="Hi there, checking in.", author="template",
                                      prompt_version="check_in@1", facts_hash="x" * 64, prompt_tokens=None,
                                      completion_tokens=None, needs_review=None, now=NOW)  # fmt: skip
            cards.create_card(session, signal_id=signal.id, account_id=account_id, draft_id=draft.id,
                              recipient_slack_id="U0CSM001", now=NOW)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=1000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        engine = make_engine(url)
        upgrade(engine)
        factory = make_session_factory(engine)
        seed_cards(factory, args.cards)
        with running_stand_in() as api:
            clock = FrozenClock(NOW)
            token = "xoxb-bench"
            settings = Settings(SLACK_BOT_TOKEN=token, SLACK_API_URL=api.api_url)  # type: ignore[call-arg]
            poster = SlackPoster(make_web_client(token=token, api_url=api.api_url))
            deps = Deps(settings, factory, clock, TemplateDrafter(), poster)

            started = time.perf_counter()
            run = post_owed_cards(deps)
            posting = time.perf_counter() - started
            assert run.delivered == args.cards, run.render()

            sweeps = 20
            started = time.perf_counter()
            for _ in range(sweeps):
                post_owed_cards(deps)
            idle = (time.perf_counter() - started) / sweeps

            # A crash after every post: forget each card's record, leave each claim stale.
            with transaction(factory) as session:
                session.execute(
                    update(EscalationCard).values(message_ts=None, channel_id=None, posted_at=None)
                )
                session.execute(update(SlackDelivery).values(state="sending", claimed_at=NOW, claim="dead"))
            clock.advance(minutes=5)
            started = time.perf_counter()
            recovered = post_owed_cards(deps)
            recovery = time.perf_counter() - started
            posts = len(api.calls_to("chat.postMessage"))
    backend = engine.dialect.name
    print(f"{backend}, {args.cards:,} cards through the Web API stand-in:")
    print(f"  post every owed card once: {posting:.2f} s ({args.cards / posting:,.0f} cards/s, "
          f"{posting / args.cards * 1000:.1f} ms each)")  # fmt: skip
    print(f"  idle sweep (nothing owed): {idle * 1000:.1f} ms")
    print(f"  after a crash, every card found in history and adopted: {recovery:.2f} s "
          f"({len(recovered.adopted):,} adopted, {posts - args.cards} posted again)")  # fmt: skip


if __name__ == "__main__":
    main()
