"""Benchmark: the fan-out of cards and digests for many CSMs through the paced posting pool.

Seeds N CSMs, each with C pending DM cards and a morning digest owed (tests.support.fanout_book),
then delivers them all through the Web API stand-in (in this process, over HTTP) twice: on a
clean Slack, and with 30% of all Web API calls answered 429 (Retry-After: 1) or 500 (half of
the 500s after posting). Pacing is Slack's: about one message a second per DM after a burst of
3, Tier 3 methods 50 a minute (raised here only for the lookups after a 500, which Slack would
spread over minutes). Prints wall time, messages and Web API calls per second, what was
adopted after a 500, and checks each message was kept once. Not part of the test suite.

    python tests/benchmarks/bench_fanout.py [--csms 500] [--cards-each 10] [--database-url URL]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import func, select, text

from bot.clock import FrozenClock
from bot.delivery.engine import DeliveryRun, deliver_due
from bot.delivery.pacing import SlackPacing
from bot.deps import Deps
from bot.posting import SlackPoster
from bot.settings import Settings
from bot.slack_client import make_web_client
from prompts.drafting import TemplateDrafter
from storage.db import make_engine, make_session_factory, transaction, upgrade
from storage.enums import DeliveryState
from storage.models import SlackDelivery
from tests.support.fanout_book import fanout_renderers, seed_fanout_book
from tests.support.slack_stand_in import running_stand_in

TOKEN = "xoxb-bench"
TABLES = ("slack_deliveries", "digest_runs", "escalation_cards", "drafts", "signals", "health_snapshots",
          "accounts", "users")  # fmt: skip


def fresh_book(factory: object, *, csms: int, cards_each: int, now: datetime) -> float:
    started = time.perf_counter()
    with transaction(factory) as session:  # type: ignore[arg-type]
        for table in TABLES:
            session.execute(text(f"DELETE FROM {table}"))
    seed_fanout_book(factory, csms=csms, cards_each=cards_each, as_of=now.date(), now=now)  # type: ignore[arg-type]
    return time.perf_counter() - started


def fan_out(factory: object, *, faults: float, workers: int, now: datetime) -> dict[str, float]:
    clock = FrozenClock(now)
    with running_stand_in() as api:
        if faults:
            api.inject_faults(faults, seed=16, retry_after=1)
        settings = Settings(  # type: ignore[call-arg]
            SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=api.api_url, TANDEM_DELIVERY_WORKERS=workers,
            TANDEM_DELIVERY_RETRY_SECONDS=1, TANDEM_DELIVERY_RETRY_MAX_SECONDS=2, TANDEM_DELIVERY_MAX_ATTEMPTS=50,
            TANDEM_SLACK_TIER3_PER_MINUTE=6000,
        )  # fmt: skip
        pacing = SlackPacing(settings.pacing)
        poster = SlackPoster(make_web_client(token=TOKEN, api_url=api.api_url, pacing=pacing), pacing=pacing)
        deps = Deps(settings, factory, clock, TemplateDrafter(), poster)  # type: ignore[arg-type]
        run, passes = DeliveryRun(), 0
        started = time.perf_counter()
        while True:
            passes += 1
            run.merge(deliver_due(deps, fanout_renderers(settings)))
            with deps.session_factory() as session:
                owed = session.scalar(
                    select(func.count())
                    .select_from(SlackDelivery)
                    .where(SlackDelivery.state != DeliveryState.SENT.value)
                )
            if not owed or passes >= 30:
                break
            clock.advance(seconds=2)
        seconds = time.perf_counter() - started
        kept = api.posted_by_delivery()
        twice = sum(1 for copies in kept.values() if len(copies) > 1)
        calls = len(api.calls)
        breaches = len(api.channel_pacing_breaches(interval=1.0, burst=3))
        faulted = len(api.faults_answered)
    return {
        "seconds": seconds, "passes": passes, "owed_left": float(owed or 0), "messages": float(len(kept)),
        "twice": float(twice), "calls": float(calls), "faults": float(faulted), "adopted": float(len(run.adopted)),
        "breaches": float(breaches), "paced_wait": pacing.waited_seconds,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--csms", type=int, default=500)
    parser.add_argument("--cards-each", type=int, default=10)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/fanout.db"
        engine = make_engine(url)
        upgrade(engine)
        factory = make_session_factory(engine)
        owed = args.csms * (args.cards_each + 1)
        print(f"{engine.dialect.name}: {args.csms} CSMs x ({args.cards_each} cards + 1 digest) = {owed:,} "
              f"messages, {args.workers} posting threads, 1 msg/s per DM after a burst of 3")  # fmt: skip
        for faults in (0.0, 0.3):
            now = datetime.now(UTC) - timedelta(minutes=30)  # behind Slack's ts, which are real time
            seeded = fresh_book(factory, csms=args.csms, cards_each=args.cards_each, now=now)
            figures = fan_out(factory, faults=faults, workers=args.workers, now=now)
            s = figures["seconds"]
            print(
                f"  {int(faults * 100):>2}% faults: {s:6.1f} s wall ({figures['passes']:.0f} passes), "
                f"{figures['messages'] / s:6.1f} messages/s, {figures['calls'] / s:6.1f} Web API calls/s "
                f"({figures['calls']:,.0f} calls, {figures['faults']:,.0f} answered 429/500); "
                f"{figures['messages']:,.0f} kept by Slack, {figures['twice']:.0f} twice, "
                f"{figures['owed_left']:.0f} still owed, {figures['adopted']:.0f} adopted after a 500; "
                f"pacing breaches {figures['breaches']:.0f}; seeding {seeded:.1f} s",
                flush=True,
            )
    engine.dispose()


if __name__ == "__main__":
    main()
