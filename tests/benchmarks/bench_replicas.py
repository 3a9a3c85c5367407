"""Benchmark: two (or more) `serve` replicas on one PostgreSQL database under concurrent clicks.

Starts the real `serve` processes (HTTP mode, scheduler on, Slack's Web API at a local
stand-in, email to a local SMTP server), posts `--cards` pending cards, and sends signed
clicks in waves of 50 at once, alternating replicas: every card by its owner, half of them at
the same moment by the manager on the other replica, the first by three people. Prints the ack
time Slack would see (p50/p95/p99, timed from a child process), and what was decided, sent and
refused. Not part of the test suite; tests/integration/test_replicas.py asserts the outcomes.

    createdb -h 127.0.0.1 -U postgres bench_replicas
    python tests/benchmarks/bench_replicas.py \\
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_replicas] [--cards 100] [--replicas 2]

The database's tables are emptied first (it must be one made for the benchmark).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import func, select, text

from storage.db import make_engine, make_session_factory, upgrade
from storage.models import Base, EscalationCard, OutboxMessage, OverrideRecord
from tests.conftest import Database
from tests.support.click_load import ack_summary, percentile
from tests.support.replica_cluster import WAVE, contested_clicks, running_cluster
from tests.support.waiting import wait_for

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_replicas"


def empty_database(url: str) -> Database:
    engine = make_engine(url)
    upgrade(engine)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return Database("postgres", url, engine, make_session_factory(engine))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--cards", type=int, default=100)
    parser.add_argument("--replicas", type=int, default=2)
    args = parser.parse_args()
    db = empty_database(args.database_url)
    with (
        tempfile.TemporaryDirectory() as workdir,
        running_cluster(db, Path(workdir), cards=args.cards, replicas=args.replicas) as cluster,
    ):
        cluster.verbose = False
        clicks = contested_clicks(cluster)
        load = cluster.send(clicks)
        acks = load.ack_seconds()
        wait_for(lambda: _count(db, OverrideRecord) == len(cluster.cards) + 10, timeout=60)
        wait_for(lambda: len(cluster.inbox.messages) >= _count(db, OutboxMessage), timeout=60)
        with db.session_factory() as session:
            states = Counter(session.scalars(select(EscalationCard.state)).all())
            logged = Counter(session.scalars(select(OverrideRecord.card_id)).all())
        emails = Counter(message["To"] for message in cluster.inbox.messages)
        refused = sum(
            "Already handled" in c.body.get("text", "") for c in cluster.api.calls_to("response_url")
        )
        print(
            f"{args.replicas} replicas, {args.cards} cards (+10 warm-up), {len(clicks)} clicks, {WAVE} at once"
        )
        print(f"  answers: {dict(load.statuses)} in {load.seconds:.2f} s")
        print(
            f"  {ack_summary(acks)} (goal: p99 < 300 ms: {'met' if percentile(acks, 0.99) < 0.3 else 'NOT met'})"
        )
        print(
            f"  decided: {dict(states)}; cards decided more than once: {sum(n > 1 for n in logged.values())}"
        )
        print(
            f"  emails: {len(cluster.inbox.messages)} to {len(emails)} addresses; refused as already handled: {refused}"
        )
        print(
            f"  load average while measuring: {' '.join(f'{v:.1f}' for v in os.getloadavg())} on {os.cpu_count()} cores"
        )


def _count(db: Database, model: type[Base]) -> int:
    with db.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


if __name__ == "__main__":
    main()
