"""Benchmark: message events from linked Slack Connect channels, as signed requests into the real
`serve` process (HTTP mode), stored once each (bot.conversations.ingest).

Prepares a book of `--accounts` accounts, each with a linked channel, and one excluded channel;
starts `python app.py serve` on it (SQLite by default, PostgreSQL with --database-url) with
Slack's Web API at a local stand-in; then `--clients` threads, each on one keep-alive
connection, send `--messages` signed event_callback requests: customer messages (a third of
them questions, some naming a topic), internal members' replies (some in the question's thread),
bot messages, Slack retries of an event already sent, edits, deletions and messages in the
excluded channel. Prints events per second, the ack time Slack would see (p50/p95/p99), what was
stored, and storage per stored message (SQLite: the file's size, and the table and its indexes
by dbstat; PostgreSQL: pg_total_relation_size of the table and the whole database's size), the
serve process's peak resident memory and the load average. Every `--checkpoint` events (default
100,000) it prints the same figures so far, so a run stopped early still gives them. The events
are made as they are sent (a million bodies held at once would take gigabytes). Not part of the
test suite: tests/integration/test_conversation_listening.py asserts the behaviour.

    python tests/benchmarks/bench_conversation_ingest.py [--messages 1000000] [--clients 4] \\
        [--accounts 1000] [--checkpoint 100000] \\
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_ingest]

A PostgreSQL database's tables are emptied first (it must be one made for the benchmark).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import func, select, text

from storage.db import make_engine, make_session_factory, transaction, upgrade
from storage.models import Base, ConversationMessage
from tests.support import factories
from tests.support.conversation_events import (
    CUSTOMER_TEAM,
    OWN_TEAM,
    add_channel,
    bot_message,
    deleted,
    edited,
    envelope,
    message,
)
from tests.support.serve_process import SECRET, healthy, proc_status, spawn_serve
from tests.support.slack_requests import sign
from tests.support.slack_stand_in import running_stand_in
from tests.support.waiting import wait_for

EXCLUDED = "C0EXCLUDED"
TEXTS = [
    "Thanks for the quick turnaround on the export, the team is happy with it.",
    "Can you check why the dashboard is not loading for our EU users since this morning?",
    "We are evaluating another vendor for the reporting piece, can we talk pricing before the renewal?",
    "Quick update: the SSO rollout is done on our side, 140 people are in now.",
    "Is there a way to bulk-invite users from a CSV? Our admin asked.",
    "The sync crashed again last night, same error as last week. This is getting frustrating.",
    "ok, noted 👍",
]


def channel_id(account: int) -> str:
    return f"C{account:09d}"


def events(count: int, accounts: int, start: int) -> Iterator[tuple[dict[str, Any], bool]]:
    """(event_callback body, is a retry) in sending order: a deterministic mix, made lazily."""
    last: dict[str, Any] | None = None
    question_ts: dict[str, str] = {}
    for i in range(count):
        channel = channel_id(i % accounts)
        ts = f"{start + i // 50}.{i % 1_000_000:06d}"
        kind = i % 100
        if kind == 0 and last is not None:
            yield last, True  # Slack's retry of the event before
            continue
        if kind == 1 and last is not None:
            event = edited(last["event"]["channel"], last["event"].get("ts", ts), TEXTS[1], edited_ts=ts)
        elif kind == 2 and last is not None:
            event = deleted(last["event"]["channel"], last["event"].get("ts", ts), at_ts=ts)
        elif kind in (3, 4):
            event = bot_message(channel, ts, "Deploy finished: build 4711 is live")
        elif kind in (5, 6):
            event = message(EXCLUDED, ts, TEXTS[i % len(TEXTS)])
        elif 7 <= kind < 27:
            parent = question_ts.get(channel)
            extra = {"thread_ts": parent} if parent and kind % 2 else {}
            event = message(
                channel, ts, "On it, I'll come back to you today.", user="U0CSM001", team=OWN_TEAM, **extra
            )
        else:
            text = TEXTS[i % len(TEXTS)]
            event = message(channel, ts, text, user=f"U0C{i % 5000:06d}", team=CUSTOMER_TEAM)
            if "?" in text:
                question_ts[channel] = ts
        last = envelope(event, event_id=f"Ev{i:010d}")
        yield last, False


def prepare(url: str, accounts: int) -> Any:
    engine = make_engine(url)
    upgrade(engine)
    if url.startswith("postgresql"):
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        factories.add_people(session)
        for account in range(accounts):
            factories.add_account(session, f"ACC-{account}", f"Account {account}")
    for account in range(accounts):
        add_channel(factory, channel_id(account), account_id=f"ACC-{account}", now=factories.NOW)
    add_channel(factory, EXCLUDED, state="excluded", account_id=None, now=factories.NOW)
    return engine


class Checkpoints:
    """Figures so far, printed every `every` events (and at the end by the caller)."""

    def __init__(self, every: int, engine: Any, url: str, path: Path | None, serve_pid: int) -> None:
        self.every, self.engine, self.url, self.path, self.serve_pid = every, engine, url, path, serve_pid
        self.began = self.last_time = time.perf_counter()
        self.last_count = 0
        self.peak_mib = 0.0

    def sample_memory(self) -> float:
        with contextlib.suppress(OSError, KeyError):  # the process is gone, or not Linux
            self.peak_mib = max(self.peak_mib, proc_status(self.serve_pid).peak_mib)
        return self.peak_mib

    def report(self, count: int, latencies: list[float]) -> None:
        now = time.perf_counter()
        rate = count / (now - self.began)
        recent = (count - self.last_count) / max(now - self.last_time, 1e-9)
        self.last_time, self.last_count = now, count
        stored = stored_count(self.engine)
        print(f"  [{count:,} events, {now - self.began:.0f} s] {rate:,.0f} events/s so far "
              f"({recent:,.0f} since the last checkpoint); ack {ack_line(latencies)}; stored {stored:,}; "
              f"{storage_line(self.engine, self.url, stored, self.path, final=False)}; "
              f"serve peak RSS {self.sample_memory():.0f} MiB; load {load_line()}", flush=True)  # fmt: skip


def send_all(
    port: int, bodies: Iterator[tuple[dict[str, Any], bool]], clients: int, checkpoints: Checkpoints
) -> tuple[list[float], Counter[int]]:
    """`clients` threads, each on one keep-alive connection, take the next event from `bodies`."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    sent = [0]
    due = [checkpoints.every]

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                item = next(bodies, None)
            if item is None:
                break
            body, retry = item
            raw = json.dumps(body)
            stamp = str(int(time.time()))
            headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp,
                       "X-Slack-Signature": sign(SECRET, stamp, raw)}  # fmt: skip
            if retry:
                headers |= {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
            began = time.perf_counter()
            connection.request("POST", "/slack/events", body=raw.encode(), headers=headers)
            response = connection.getresponse()
            response.read()
            elapsed = time.perf_counter() - began
            with lock:
                latencies.append(elapsed)
                statuses[response.status] += 1
                sent[0] += 1
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    shown = time.monotonic()
    while any(thread.is_alive() for thread in threads):
        time.sleep(0.05)
        if sent[0] >= due[0]:
            with lock:
                snapshot = list(latencies)
            checkpoints.report(sent[0], snapshot)
            due[0] += checkpoints.every
            shown = time.monotonic()
        elif time.monotonic() - shown >= 30:
            shown = time.monotonic()
            checkpoints.sample_memory()
            print(f"  … {sent[0]:,} sent", flush=True)
    for thread in threads:
        thread.join()
    return latencies, statuses


def ack_line(latencies: list[float]) -> str:
    if not latencies:
        return "no answers yet"
    ordered = sorted(latencies)

    def at(share: float) -> float:
        return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    return f"p50 {at(0.5):.1f} ms, p95 {at(0.95):.1f} ms, p99 {at(0.99):.1f} ms"


def load_line() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1/5/15 min, {os.cpu_count()} cores)"


def stored_count(engine: Any) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(ConversationMessage)) or 0)


def storage_line(engine: Any, url: str, stored: int, path: Path | None, *, final: bool = True) -> str:
    """Bytes per stored message. `final`: the serve process has stopped (SQLite: checkpoint the
    log into the file first, and measure the table by dbstat)."""
    if stored == 0:
        return "nothing stored"
    with engine.connect() as connection:
        if url.startswith("postgresql"):
            size = connection.scalar(text("SELECT pg_total_relation_size('conversation_messages')"))
            whole = connection.scalar(text("SELECT pg_database_size(current_database())"))
            return (f"{size / stored:.0f} bytes per message (pg_total_relation_size of conversation_messages: "
                    f"table + indexes + TOAST, {size / 2**20:.0f} MiB); the whole database {whole / stored:.0f} "
                    f"bytes per message ({whole / 2**20:.0f} MiB)")  # fmt: skip
        if not final:  # the pages the database holds now, whether still in the log or in the file
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar() or 0
            page_size = connection.exec_driver_sql("PRAGMA page_size").scalar() or 0
            return f"{pages * page_size / stored:.0f} bytes per message (SQLite pages / messages)"
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        assert path is not None
        size = path.stat().st_size
        line = f"{size / stored:.0f} bytes per message (the whole SQLite file / messages, {size / 2**20:.0f} MiB)"
        try:
            table = connection.scalar(text(
                "SELECT SUM(pgsize) FROM dbstat WHERE name = 'conversation_messages' "
                "OR name LIKE 'ix_conversation_messages%' OR name LIKE 'sqlite_autoindex_conversation_messages%'"
            ))  # fmt: skip
            line += f"; {table / stored:.0f} bytes per message in the table and its indexes (dbstat)"
        except Exception:  # dbstat is a compile-time option of SQLite
            pass
        return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument(
        "--checkpoint", type=int, default=100_000, help="print the figures so far every N events"
    )
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--workdir", default=None, help="keep the SQLite file and serve's log here")
    args = parser.parse_args()
    if args.messages > 1_000_000:
        parser.error("--messages: at most 1,000,000 (the events' ts are unique up to there)")
    with tempfile.TemporaryDirectory() as scratch, running_stand_in() as api:
        workdir = Path(args.workdir or scratch)
        path = None if args.database_url else workdir / "ingest.db"
        url = args.database_url or f"sqlite:///{path}"
        engine = prepare(url, args.accounts)
        bodies = events(args.messages, args.accounts, start=int(time.time()) - 3 * 86400)
        served = spawn_serve(workdir, api.api_url, database_url=url, token="xoxb-bench",
                             TANDEM_LISTENER_THREADS="8", LOG_LEVEL="WARNING")  # fmt: skip
        try:
            wait_for(lambda: healthy(served.port) or served.process.poll() is not None, timeout=120)
            print(f"{args.messages:,} signed message events, {args.clients} clients, {args.accounts} linked channels, "
                  f"{'PostgreSQL' if args.database_url else 'SQLite'}; serve pid {served.pid}; load {load_line()}",
                  flush=True)  # fmt: skip
            checkpoints = Checkpoints(args.checkpoint, engine, url, path, served.pid)
            began = time.perf_counter()
            latencies, statuses = send_all(served.port, bodies, args.clients, checkpoints)
            seconds = time.perf_counter() - began
            peak = checkpoints.sample_memory()
            load = load_line()
        finally:
            served.process.terminate()
            served.process.wait(30)
        with engine.connect() as connection:
            stored = int(connection.scalar(select(func.count()).select_from(ConversationMessage)) or 0)
            kinds = dict(connection.execute(select(ConversationMessage.author_kind, func.count())
                                            .group_by(ConversationMessage.author_kind)).all())  # fmt: skip
            excluded = connection.scalar(
                select(func.count())
                .select_from(ConversationMessage)
                .where(ConversationMessage.channel_id == EXCLUDED)
            )
        print(f"  {len(latencies) / seconds:,.0f} events per second ({len(latencies):,} in {seconds:.1f} s); "
              f"answers {dict(statuses)}")  # fmt: skip
        print(f"  ack {ack_line(latencies)}")
        print(f"  stored {stored:,} messages {kinds}; in the excluded channel: {excluded}")
        print(f"  {storage_line(engine, url, stored, path)}")
        print(f"  serve peak RSS {peak:.0f} MiB; load average at the end {load}")
        errors = [line for line in served.output().splitlines() if "ERROR" in line]
        print(f"  serve logged {len(errors)} errors" + (f", e.g. {errors[0]}" if errors else ""))


if __name__ == "__main__":
    main()
