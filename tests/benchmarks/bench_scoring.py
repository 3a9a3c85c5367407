"""Benchmark: the bulk scoring pass and a whole cycle (no Slack, no LLM) on a seeded book.

For each size, prints the wall time, accounts per second and peak resident memory of:
- seed: the synthetic book (120 days of daily usage per account);
- score: the scoring pass as `score` and the cycle run it: read the feature table and
  earlier scores in bulk, compute with numpy, write the day's snapshots (each part timed);
- floor: one aggregate scan of the usage rows the pass reads (GROUP BY account, a count, sums
  and the newest day): the bulk read the pass cannot avoid; the pass's ratio to it is printed;
- command: `python app.py score` as a user runs it (a fresh process: imports, the pass,
  storing the day, printing the table to /dev/null), timed as a whole with its peak memory;
- cycle: a whole daily cycle as a user meets it: the scoring pass, decisions over every
  account's facts, the run-wide guardrails, template drafts, the writes, and every owed card
  posted over HTTP to the Web API stand-in (tests/support/slack_stand_in.py, in a process of its
  own so Slack's side costs the cycle no CPU in its interpreter), wired as the app wires it
  (paced within Slack's limits); each step's time is printed;
- post floor: as many posts as the cycle made, of one card rendered once, through the same
  client and number of threads, unpaced: the HTTP round trips posting cannot avoid.
Each step runs in its own process, so its peak memory is its own (ru_maxrss never falls).
Not part of the test suite.

    python tests/benchmarks/bench_scoring.py --sizes 10000 100000 [--database-url URL] [--no-cycle]
    python tests/benchmarks/bench_scoring.py --sizes 100000 --no-seed --database-url sqlite:////path/book.db
    python tests/benchmarks/bench_scoring.py --book 10000=sqlite:////tmp/10k.db --book 100000=URL

`--book SIZE=URL` re-measures a book already seeded at URL, in place (the benchmark forgets the
day's decisions and rewrites them; copy the book first to keep it as seeded) instead of seeding
a temporary one.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

AS_OF = date(2026, 3, 2)


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    """CPU time used (user + system): steadier than wall time on a shared machine, and on
    SQLite it includes the database's own work (on PostgreSQL the server's is not counted)."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def child_seed(url: str, size: int) -> dict[str, float]:
    from storage.db import make_engine, make_session_factory, upgrade
    from storage.synthetic import generate_book

    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    generate_book(make_session_factory(engine), accounts=size, seed=1, as_of=AS_OF, replace=True)
    return {"seconds": time.perf_counter() - started}


def child_score(url: str, size: int) -> dict[str, float]:
    from scoring.config import load_default_config
    from scoring.health import score_table
    from storage.db import make_engine, make_session_factory, refresh_planner_statistics, transaction, upgrade
    from storage.repositories import snapshots
    from storage.repositories.feature_table import load_feature_table_concurrently, load_prior_scores

    engine = make_engine(url)
    upgrade(engine)  # a book seeded by an older version gets the newer columns
    factory = make_session_factory(engine)
    config = load_default_config()
    figures: dict[str, float] = {}
    started, cpu = time.perf_counter(), _cpu_seconds()
    table = load_feature_table_concurrently(factory, as_of=AS_OF, config=config)
    with factory() as session:
        prior = load_prior_scores(session, account_ids=table.account_ids, as_of=AS_OF)
    figures["read"] = time.perf_counter() - started
    mark = time.perf_counter()
    results = score_table(table, config, prior_scores=prior)
    figures["compute"] = time.perf_counter() - mark
    mark = time.perf_counter()
    with transaction(factory) as session:
        snapshots.replace_day(session, as_of=AS_OF, results=results, config_version=None)
        refresh_planner_statistics(session, "health_snapshots")
    figures["write"] = time.perf_counter() - mark
    figures["seconds"] = time.perf_counter() - started
    figures["cpu"] = _cpu_seconds() - cpu
    figures["accounts"] = len(results)
    return figures


def child_floor(url: str, size: int) -> dict[str, float]:
    """One aggregate scan of the usage rows in the pass's window, read to the client: the floor."""
    from sqlalchemy import text

    from scoring.config import load_default_config
    from scoring.features import Windows
    from storage.db import make_engine

    w = Windows.for_day(AS_OF, load_default_config())
    query = text(
        "SELECT account_id, count(*), sum(active_users), sum(licensed_seats), max(day) "
        "FROM usage_daily WHERE day >= :start AND day <= :end GROUP BY account_id"
    )
    with make_engine(url).connect() as connection:
        started, cpu = time.perf_counter(), _cpu_seconds()
        rows = connection.execute(query, {"start": w.base_start, "end": w.as_of}).all()
        seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    return {"seconds": seconds, "cpu": cpu, "accounts": len(rows)}


def child_command(url: str, size: int) -> dict[str, float]:
    """`python app.py score` in its own process, its table printed to /dev/null."""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(root)}
    started = time.perf_counter()
    with open(os.devnull, "w") as sink:
        subprocess.run(
            [sys.executable, str(root / "app.py"), "score", "--as-of", AS_OF.isoformat()],
            check=True,
            stdout=sink,
            env=env,
            cwd=root,
        )
    seconds = time.perf_counter() - started
    # This child only waits; the command's own peak is its children's (ru_maxrss never falls).
    return {
        "seconds": seconds,
        "cpu": _cpu_seconds(resource.RUSAGE_CHILDREN),
        "command_peak_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def child_cycle(url: str, size: int) -> dict[str, float]:
    from app import build_deps
    from bot.clock import FrozenClock
    from bot.settings import Settings
    from bot.workflows.cycle import run_cycle

    clock = FrozenClock(datetime(2026, 3, 2, 6, tzinfo=UTC))
    with stand_in_process() as api_url:
        # Wired as the app wires it (the schema upgraded, the poster paced within Slack's limits:
        # one message a second per DM after a burst of 3, the template drafter, metrics on).
        settings = Settings.model_validate(
            {"DATABASE_URL": url, "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_API_URL": api_url}
        )
        deps = build_deps(settings, clock=clock)
        forget_the_day(deps.session_factory)
        started = time.perf_counter()
        summary = run_cycle(deps, as_of=AS_OF)
        seconds = time.perf_counter() - started
    if summary.cards_not_posted:
        raise SystemExit(f"{summary.cards_not_posted} cards were not posted: {summary.problems}")
    return {
        "seconds": seconds,
        "signals": sum(summary.signals.values()),
        "cards": summary.cards_posted,
        "digest_cards": summary.cards_to_digest,
        "auto": summary.auto_queued,
        **{f"phase_{name}": seconds for name, seconds in summary.phases.items()},
    }


def child_post_floor(url: str, size: int) -> dict[str, float]:
    """The floor of posting: `size` messages (the cycle's card count) posted through the client
    the cycle posts with (slack_sdk's WebClient) to the stand-in, every one the same card already
    rendered (one of the day's, from the book), from the cycle's number of posting threads with
    no pacing: the HTTP round trips the post step cannot avoid, without rendering or the database."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import select

    from bot.delivery.engine import TAG_EVENT_TYPE
    from bot.posting import MessageTag
    from bot.settings import Settings
    from bot.slack_client import make_web_client
    from bot.workflows.card_posting import render_card
    from storage.db import make_engine, make_session_factory
    from storage.models import EscalationCard

    settings = Settings.model_validate({})
    with make_session_factory(make_engine(url))() as session:
        card = session.scalars(select(EscalationCard).order_by(EscalationCard.id.desc()).limit(1)).one()
        rendered = render_card(session, card, settings)
    assert rendered is not None
    text, blocks = rendered
    with stand_in_process() as api_url:
        client = make_web_client(token="xoxb-bench", api_url=api_url)

        def post(number: int) -> None:
            metadata = MessageTag(TAG_EVENT_TYPE, number).as_metadata()
            client.chat_postMessage(
                channel=f"U{number % 2_500:06d}", text=text, blocks=blocks, metadata=metadata
            )

        started, cpu = time.perf_counter(), _cpu_seconds()
        with ThreadPoolExecutor(max_workers=settings.delivery.post_workers) as pool:
            list(pool.map(post, range(size)))
        seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    return {"seconds": seconds, "cpu": cpu, "posts": size}


@contextmanager
def stand_in_process() -> Iterator[str]:
    """The Web API stand-in in a child process; yields its API URL, stops it on the way out."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--child", "stand_in", "--url", "-", "--size", "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdin is not None
    try:
        yield child.stdout.readline().strip()
    finally:
        child.stdin.close()  # the stand-in stops when its stdin closes
        child.wait(10)


def child_stand_in(url: str, size: int) -> dict[str, float]:
    from tests.support.slack_stand_in import running_stand_in

    with running_stand_in() as api:
        print(api.api_url, flush=True)
        sys.stdin.read()  # until the cycle's process closes the pipe
        return {"posts": len(api.calls_to("chat.postMessage"))}


def forget_the_day(factory: Any) -> None:
    """What an earlier benchmark run decided on AS_OF, deleted, so a re-run (--no-seed) does the
    whole cycle again instead of finding every account already handled."""
    from sqlalchemy import delete, select

    from storage.db import transaction
    from storage.enums import CardKind
    from storage.models import (
        CircuitBreakerTrip,
        Draft,
        EscalationCard,
        OutboxMessage,
        OverrideRecord,
        Signal,
        SlackDelivery,
    )

    with transaction(factory) as session:
        day = select(Signal.id).where(Signal.as_of == AS_OF)
        start = datetime.combine(AS_OF, datetime.min.time(), tzinfo=UTC)
        audit = (EscalationCard.kind == CardKind.AUDIT.value) & (EscalationCard.created_at >= start)
        # The day's cards: its signals' and its audit cards (one a CSM a week: a rerun kept them,
        # and drew none, measuring about 400 fewer cards)
        cards = select(EscalationCard.id).where(EscalationCard.signal_id.in_(day) | audit)
        session.execute(delete(OverrideRecord).where(OverrideRecord.card_id.in_(cards)))
        session.execute(
            delete(SlackDelivery).where(SlackDelivery.card_id.in_(cards))
        )  # a posted day's messages
        session.execute(
            delete(OutboxMessage).where(OutboxMessage.signal_id.in_(day) | OutboxMessage.card_id.in_(cards))
        )
        session.execute(delete(EscalationCard).where(EscalationCard.signal_id.in_(day) | audit))
        session.execute(delete(Draft).where(Draft.signal_id.in_(day)))
        session.execute(delete(Signal).where(Signal.as_of == AS_OF))
        session.execute(delete(CircuitBreakerTrip).where(CircuitBreakerTrip.as_of == AS_OF))


CHILDREN = {
    "seed": child_seed,
    "score": child_score,
    "floor": child_floor,
    "command": child_command,
    "cycle": child_cycle,
    "stand_in": child_stand_in,
    "post_floor": child_post_floor,
}


def run_child(step: str, url: str, size: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", step, "--url", url, "--size", str(size)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def line(label: str, size: int, figures: dict[str, float]) -> str:
    seconds = figures["seconds"]
    return (
        f"  {label:<6} {seconds:8.2f} s  {size / seconds:10,.0f} accounts/s  "
        f"{seconds / size * 1e6:7.0f} µs/account  peak RSS {figures['peak_mib']:6.0f} MiB"
        + (f"  cpu {figures['cpu']:.2f} s" if "cpu" in figures else "")
    )


def bench(size: int, database_url: str | None, *, cycle: bool, seed: bool = True) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        print(f"{size:,} accounts on {url.split(':')[0].split('+')[0]}", flush=True)
        if seed:
            print(line("seed", size, run_child("seed", url, size)), flush=True)
        scored = run_child("score", url, size)
        print(line("score", size, scored), flush=True)
        print(
            f"         read {scored['read']:.2f} s, compute {scored['compute']:.2f} s, write {scored['write']:.2f} s"
        )
        floor = run_child("floor", url, size)
        print(line("floor", size, floor), flush=True)
        command = run_child("command", url, size)
        command["peak_mib"] = command["command_peak_mib"]
        print(line("cmd", size, command), flush=True)
        ratios = (
            f"         floor ratio: pass {scored['seconds'] / floor['seconds']:.1f}x, "
            f"`score` command {command['seconds'] / floor['seconds']:.1f}x (goal: 3x or less)"
        )
        if url.startswith("sqlite"):  # the floor's CPU is the database's own work only there
            ratios += (
                f"; in CPU time {scored['cpu'] / floor['cpu']:.1f}x and {command['cpu'] / floor['cpu']:.1f}x"
            )
        print(ratios, flush=True)
        if cycle:
            figures = run_child("cycle", url, size)
            print(line("cycle", size, figures), flush=True)
            print(
                f"         {figures['signals']:,.0f} signals, {figures['cards']:,.0f} cards in DMs, "
                f"{figures['digest_cards']:,.0f} cards waiting in digests, {figures['auto']:,.0f} automated touches"
            )
            phases = ", ".join(
                f"{k.removeprefix('phase_')} {v:.2f} s" for k, v in figures.items() if k.startswith("phase_")
            )
            print(f"         {phases}")
            cards = int(figures["cards"])
            if cards:
                posted = run_child("post_floor", url, cards)
                print(
                    f"         post floor: {cards:,} rendered cards posted to the stand-in in "
                    f"{posted['seconds']:.2f} s ({cards / posted['seconds']:,.0f}/s, client CPU "
                    f"{posted['cpu'] / cards * 1e3:.2f} ms a post); the post step "
                    f"{figures['phase_post']:.2f} s is {figures['phase_post'] / posted['seconds']:.1f}x it",
                    flush=True,
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--database-url", default=os.environ.get("TANDEM_BENCH_DATABASE_URL"))
    parser.add_argument("--no-cycle", action="store_true", help="skip the whole-cycle step")
    parser.add_argument(
        "--no-seed", action="store_true", help="re-measure a book already seeded at --database-url (one size)"
    )
    parser.add_argument(
        "--book",
        action="append",
        default=[],
        metavar="SIZE=URL",
        help="re-measure a copy of a book already seeded with SIZE accounts at URL (repeatable)",
    )
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        figures = CHILDREN[args.child](args.url, args.size)
        figures["peak_mib"] = _peak_mib()
        print(json.dumps(figures))
        return
    if args.no_seed and not args.database_url:
        parser.error("--no-seed needs --database-url (a temporary SQLite book is gone after each run)")
    if args.book:
        for book in args.book:
            size, _, url = book.partition("=")
            if not size.isdigit() or not url:
                parser.error(f"--book wants SIZE=URL (e.g. 100000=sqlite:////tmp/book.db), got {book!r}")
            bench(int(size), url, cycle=not args.no_cycle, seed=False)
        return
    for size in args.sizes:
        bench(size, args.database_url, cycle=not args.no_cycle, seed=not args.no_seed)


if __name__ == "__main__":
    main()
