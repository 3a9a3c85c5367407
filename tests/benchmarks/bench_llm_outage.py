"""Benchmark: a whole cycle while the LLM never answers, with and without the model breaker.
Not part of the test suite.

Seeds a synthetic book (SQLite, `storage.synthetic.generate_book`), then runs one daily cycle
per variant on its own copy of it, the LLM drafter pointed at a local OpenAI-compatible server
that accepts every request and never answers. Prints, per variant, the cycle's wall time, its
drafting step, the drafts by author, how many calls reached the server, and the summary's
drafts line. No network: everything runs on 127.0.0.1.

    python tests/benchmarks/bench_llm_outage.py [--accounts 200] [--as-of 2026-03-02] [--timeout 30] [--no-before]

`--no-before` skips the variant without a breaker (OPENAI_BREAKER_FAILURES=0), which waits out
one timeout per draft (concurrency 4): about drafts / 4 × timeout.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 3, 2), help="the cycle's day")
    parser.add_argument("--timeout", type=float, default=30.0, help="OPENAI_TIMEOUT_SECONDS")
    parser.add_argument("--failures", type=int, default=3, help="OPENAI_BREAKER_FAILURES with the breaker")
    parser.add_argument("--concurrency", type=int, default=4, help="OPENAI_MAX_CONCURRENCY")
    parser.add_argument("--no-before", action="store_true", help="skip the run without a breaker")
    args = parser.parse_args()

    from bot.clock import FrozenClock
    from bot.deps import Deps
    from bot.settings import Settings
    from bot.workflows.cycle import run_cycle
    from prompts.drafting import make_drafter
    from storage.db import make_engine, make_session_factory, upgrade
    from storage.synthetic import generate_book
    from tests.support.openai_server import Behaviour, FakeOpenAI
    from tests.support.recording_poster import RecordingPoster

    as_of: date = args.as_of
    folder = Path(tempfile.mkdtemp(prefix="tandem-bench-outage-"))
    seeded = folder / "seeded.db"
    engine = make_engine(f"sqlite:///{seeded}")
    upgrade(engine)
    started = time.perf_counter()
    generate_book(make_session_factory(engine), accounts=args.accounts, seed=args.seed, as_of=as_of)
    raw = engine.raw_connection()
    try:
        raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()
    engine.dispose()
    print(f"Seeded {args.accounts} accounts (seed {args.seed}) in {time.perf_counter() - started:.1f} s; "
          f"one cycle on {as_of.isoformat()} per variant, the LLM never answering, "
          f"timeout {args.timeout:g} s, concurrency {args.concurrency}.\n")  # fmt: skip

    variants = [("breaker", args.failures)] + ([] if args.no_before else [("no breaker", 0)])
    for name, failures in variants:
        path = folder / f"{name.replace(' ', '-')}.db"
        shutil.copyfile(seeded, path)
        engine = make_engine(f"sqlite:///{path}")
        with FakeOpenAI(default=Behaviour.no_answer()) as server:
            drafter = make_drafter(api_key="sk-bench", base_url=server.base_url, model="gpt-4o-mini",
                                   timeout_seconds=args.timeout, max_retries=2, max_concurrency=args.concurrency,
                                   breaker_failures=failures)  # fmt: skip
            deps = Deps(settings=Settings(), session_factory=make_session_factory(engine),  # type: ignore[call-arg]
                        clock=FrozenClock(datetime.combine(as_of, datetime.min.time(), tzinfo=UTC).replace(hour=6)),
                        drafter=drafter, poster=RecordingPoster())  # fmt: skip
            began = time.perf_counter()
            summary = run_cycle(deps, as_of=as_of)
            took = time.perf_counter() - began
            calls = len(server.requests)
        engine.dispose()
        line = next(text for text in summary.render().splitlines() if text.strip().startswith("drafts:"))
        label = f"{name} (OPENAI_BREAKER_FAILURES={failures})"
        print(f"{label:<40} cycle {took:7.1f} s, drafting {summary.phases.get('draft', 0.0):7.1f} s, "
              f"{sum(summary.drafts_by_author.values())} drafts, {calls} calls reached the model")  # fmt: skip
        print(f"{'':<40}{line.strip()}")
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
