"""Benchmark: the scoring pass and a whole cycle (no Slack, no LLM) on a seeded book.

Prints, for each size, the wall time, accounts per second and peak resident memory of:
seeding, loading facts, scoring, and a whole cycle (score, decide, draft from templates,
post to a terminal stand-in). Not part of the test suite.

    python tests/benchmarks/bench_scoring.py --sizes 1000 10000 [--database-url URL]
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.clock import FrozenClock
from bot.deps import Deps
from bot.posting import TerminalPoster
from bot.settings import Settings
from bot.workflows.cycle import run_cycle
from prompts.drafting import TemplateDrafter
from scoring.config import load_default_config
from scoring.health import score_book
from storage.db import make_engine, make_session_factory, upgrade
from storage.repositories.facts import load_account_facts
from storage.synthetic import generate_book

T = TypeVar("T")
AS_OF = date(2026, 3, 2)


def measure(label: str, accounts: int, step: Callable[[], T]) -> T:
    """Wall time of one step, and the process's peak resident memory so far (ru_maxrss:
    no tracing overhead, but it only ever grows, so read it step by step)."""
    started = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"  {label:<12} {seconds:8.2f} s  {accounts / seconds:10,.0f} accounts/s  peak RSS {peak_mib:7.0f} MiB"
    )
    return result


def bench(size: int, database_url: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        factory = make_session_factory(engine)
        print(f"{size:,} accounts on {engine.dialect.name}")
        measure(
            "seed", size, lambda: generate_book(factory, accounts=size, seed=1, as_of=AS_OF, replace=True)
        )
        config = load_default_config()

        def load() -> list[object]:
            with factory() as session:
                return list(load_account_facts(session, as_of=AS_OF))

        facts = measure("load facts", size, load)
        measure("score", size, lambda: score_book(facts, as_of=AS_OF, config=config))  # type: ignore[arg-type]
        deps = Deps(
            Settings(),
            factory,
            FrozenClock(datetime(2026, 3, 2, 6, tzinfo=UTC)),
            TemplateDrafter(),
            TerminalPoster(io.StringIO()),
        )
        summary = measure("whole cycle", size, lambda: run_cycle(deps, as_of=AS_OF))
        print(
            f"  cycle: {summary.accounts_scored:,} scored, {sum(summary.signals.values()):,} signals, {summary.cards_posted:,} cards"
        )
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--database-url", default=os.environ.get("TANDEM_BENCH_DATABASE_URL"))
    args = parser.parse_args()
    for size in args.sizes:
        bench(size, args.database_url)


if __name__ == "__main__":
    main()
