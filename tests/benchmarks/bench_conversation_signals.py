"""Benchmark: what the conversation-signal pass adds to the daily cycle at --accounts accounts.

A synthetic book (SQLite in a temporary file by default, or --database-url) gets a linked
Slack Connect channel for --linked-share of its accounts, --messages customer and internal
messages per linked account over the last 60 days (the conversation window and the one
before), about 8% of them on a topic, 5% hostile, 10% questions (most answered), and a named
champion who speaks now and then. Then the three things the cycle does because of them are
timed, each the way the cycle runs it:

1. one bulk read of the whole book's linked channels (`bot.workflows.cycle.conversations_heard`:
   three grouped scans and the linked accounts; the scores and the decisions share it);
2. the feature table's conversation columns from it (the pure per-account row: waits in working
   hours, champion silence; one array write per column) — `feature_table._conversations`;
3. the pure trigger work on every account's facts (sentiment signs, customer_waiting).

It prints the seconds of each and their sum: the time the conversation signals add to the
cycle (the target is at most 10 s at 100,000 accounts). Not part of the test suite; no timed
assertions.

    python tests/benchmarks/bench_conversation_signals.py [--accounts 100000] [--messages 10]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

AS_OF = date(2026, 3, 9)
NOW = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
TOPICS = (["competitor"], ["cancel"], ["price"], ["bug"], ["outage"], ["contract"])


def seed(url: str, accounts: int, messages: int, linked_share: float, rng: random.Random) -> int:
    from sqlalchemy import insert

    from storage import models
    from storage.db import make_engine, make_session_factory, upgrade

    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    stamp = datetime(2026, 1, 5, tzinfo=UTC)
    written = 0
    with factory() as session, session.begin():
        session.execute(insert(models.User), [{"slack_id": "U1", "name": "Ana", "role": "csm", "timezone": "UTC",
                                               "digest_time": "08:30"}])  # fmt: skip
        zones = ("America/New_York", "Europe/Berlin", "Asia/Tokyo", None)
        session.execute(
            insert(models.Account),
            [{"account_id": f"A{n:06d}", "name": f"Account {n}", "segment": "smb", "arr": 1000.0 + n,
              "owner_slack_id": "U1", "timezone": zones[n % 4], "champion_email": f"champ{n}@a{n}.example"}
             for n in range(accounts)],
        )  # fmt: skip
        linked = [n for n in range(accounts) if rng.random() < linked_share]
        session.execute(
            insert(models.ConversationChannel),
            [{"channel_id": f"C{n:08d}", "account_id": f"A{n:06d}", "state": "linked", "external_team_ids": [],
              "decided_at": stamp, "created_at": stamp, "updated_at": stamp} for n in linked],
        )  # fmt: skip
        session.execute(
            insert(models.ConversationPerson),
            [{"user_id": f"U{n:08d}", "team_id": "T", "email": f"champ{n}@a{n}.example", "kind": "customer",
              "updated_at": stamp} for n in linked],
        )  # fmt: skip
        rows = []
        for n in linked:
            for k in range(messages):
                posted = NOW - timedelta(minutes=rng.randrange(60 * 24 * 60))
                internal = rng.random() < 0.3
                question = not internal and rng.random() < 0.1
                rows.append({
                    "channel_id": f"C{n:08d}", "ts": f"{posted.timestamp():.0f}.{k:06d}", "account_id": f"A{n:06d}",
                    "user_id": "UINTERNAL" if internal else (f"U{n:08d}" if rng.random() < 0.2 else "UCUST"),
                    "author_kind": "internal" if internal else "customer", "posted_at": posted,
                    "text": "synthetic", "keep_text_until": posted + timedelta(days=90),
                    "tone": -0.8 if rng.random() < 0.05 else rng.uniform(-0.3, 0.9), "is_question": question,
                    "topics": rng.choice(TOPICS) if not internal and rng.random() < 0.08 else [],
                    "answered_at": posted + timedelta(hours=1) if question and rng.random() < 0.8 else None,
                    "received_at": posted,
                })  # fmt: skip
                if len(rows) >= 50_000:
                    session.execute(insert(models.ConversationMessage), rows)
                    written += len(rows)
                    rows = []
        if rows:
            session.execute(insert(models.ConversationMessage), rows)
            written += len(rows)
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    return written


def bench(url: str) -> dict[str, float]:
    from sqlalchemy import select

    from scoring.config import load_default_config
    from scoring.conversation_signals import conversation_signs, waiting_questions
    from scoring.features import FeatureTable, Windows
    from storage import models
    from storage.db import make_engine, make_session_factory
    from storage.repositories.conversation_facts import load_conversation_facts
    from storage.repositories.feature_table import _conversations

    config = load_default_config()
    factory = make_session_factory(make_engine(url))
    figures: dict[str, float] = {}
    with factory() as session:
        ids = sorted(session.scalars(select(models.Account.account_id)))
        started = time.perf_counter()
        heard = load_conversation_facts(session, as_of=AS_OF, rules=config.conversations, now=NOW)
        figures["one bulk read"] = time.perf_counter() - started
    table = FeatureTable.empty(AS_OF, ids, ["smb"] * len(ids))
    index = {account_id: i for i, account_id in enumerate(ids)}
    started = time.perf_counter()
    _conversations(None, table, index, Windows.for_day(AS_OF, config), config, heard)  # type: ignore[arg-type]
    figures["feature table columns"] = time.perf_counter() - started
    figures["accounts linked"] = float((table["c_linked"] > 0).sum())

    started = time.perf_counter()
    fired = waiting = 0
    for facts in heard.values():
        fired += bool(conversation_signs(facts, config.conversations))
        waiting += bool(waiting_questions(facts, config.conversations))
    figures["pure triggers"] = time.perf_counter() - started
    figures["accounts with a sentiment sign"] = float(fired)
    figures["accounts with a customer waiting"] = float(waiting)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=10, help="messages per linked account (60 days)")
    parser.add_argument("--linked-share", type=float, default=1.0)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temporary file")
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.db"
        started = time.perf_counter()
        written = seed(url, args.accounts, args.messages, args.linked_share, random.Random(args.seed))
        print(
            f"seeded {args.accounts:,} accounts, {written:,} messages in {time.perf_counter() - started:.1f} s"
        )
        figures = bench(url)
    timed = ("one bulk read", "feature table columns", "pure triggers")
    for name, value in figures.items():
        print(f"  {name:<36} {value:>10.2f}{' s' if name in timed else ''}")
    print(f"  {'added to the cycle':<36} {sum(figures[name] for name in timed):>10.2f} s (target <= 10 s)")


if __name__ == "__main__":
    main()
