"""Benchmark: what one /metrics scrape costs the database, as the Slack deliveries table grows.

Fills `slack_deliveries` of a scratch database with N sent rows and 1,000 queued ones, then
times the backlog counts a scrape makes (open states only, bot.metrics.BacklogCollector)
against a COUNT over every state, which is what a naive gauge would run. Not part of the suite.

    python tests/benchmarks/bench_metrics_backlog.py [--rows 2000000] [--database-url URL]

The database is REWRITTEN (its deliveries deleted): give it a scratch SQLite file (the
default, in a temporary directory) or a PostgreSQL database made for it, e.g.
`createdb -h 127.0.0.1 -U postgres bench_metrics`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import Engine, text

from storage.db import make_engine, make_session_factory, upgrade
from storage.repositories import backlog

OPEN_ROWS = 1_000


def fill(engine: Engine, rows: int) -> None:
    numbers = (
        "generate_series(1, :rows) AS s(n)"
        if engine.dialect.name == "postgresql"
        else "(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < :rows) SELECT n FROM s)"
    )
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM slack_deliveries"))
        connection.execute(
            text(
                "INSERT INTO slack_deliveries (key, kind, recipient, text, state, attempts, next_attempt_at, created_at) "
                "SELECT 'bench-' || n, CASE WHEN n % 3 = 0 THEN 'digest' ELSE 'card' END, 'U1', '', "
                f"CASE WHEN n <= {OPEN_ROWS} THEN 'queued' ELSE 'sent' END, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP "
                f"FROM {numbers}"
            ),
            {"rows": rows + OPEN_ROWS},
        )
        if engine.dialect.name == "postgresql":
            connection.execute(text("ANALYZE slack_deliveries"))


def best_of(runs: int, work: object) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()  # type: ignore[operator]
        timings.append(time.perf_counter() - started)
    return min(timings) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="sent deliveries (history)")
    parser.add_argument("--database-url", help="a scratch database (default: a temporary SQLite file)")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench_metrics.db"
    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    fill(engine, args.rows)
    print(f"{engine.dialect.name}: {args.rows:,} sent + {OPEN_ROWS:,} queued deliveries written in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    factory = make_session_factory(engine)

    def scrape_counts() -> None:
        with factory() as session:
            backlog.open_deliveries_by_state(session)
            backlog.open_outbox_by_state(session)

    def every_state() -> None:
        with engine.connect() as connection:
            connection.execute(
                text("SELECT state, kind, count(*) FROM slack_deliveries GROUP BY state, kind")
            ).all()

    scrape_counts()  # warm the connection pool and the cache
    print(f"  scrape's backlog counts (open states): {best_of(5, scrape_counts):8.1f} ms")
    print(f"  a count over every state, for contrast: {best_of(2, every_state):8.1f} ms")


if __name__ == "__main__":
    main()
