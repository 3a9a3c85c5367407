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
by dbstat; PostgreSQL: pg_total_relation_size). Not part of the test suite:
tests/integration/test_conversation_listening.py asserts the behaviour.

    python tests/benchmarks/bench_conversation_ingest.py [--messages 1000000] [--clients 4] \\
        [--accounts 1000] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_ingest]

A PostgreSQL database's tables are emptied first (it must be one made for the benchmark).
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import tempfile
import threading
import time
from collections import Counter
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
from tests.support.serve_process import SECRET, healthy, spawn_serve
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


def events(count: int, accounts: int, start: int) -> list[tuple[dict[str, Any], bool]]:
    """(event_callback body, is a retry) in sending order: a deterministic mix."""
    out: list[tuple[dict[str, Any], bool]] = []
    last: dict[str, Any] | None = None
    question_ts: dict[str, str] = {}
    for i in range(count):
        channel = channel_id(i % accounts)
        ts = f"{start + i // 50}.{i % 1_000_000:06d}"
        kind = i % 100
        if kind == 0 and last is not None:
            out.append((last, True))  # Slack's retry of the event before
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
        out.append((last, False))
    return out


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


def send_all(
    port: int, bodies: list[tuple[dict[str, Any], bool]], clients: int
) -> tuple[list[float], Counter[int]]:
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    done = [0]

    def client(offset: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        codes: Counter[int] = Counter()
        for index in range(offset, len(bodies), clients):
            body, retry = bodies[index]
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
            mine.append(time.perf_counter() - began)
            codes[response.status] += 1
            if len(mine) % 1000 == 0:
                with lock:
                    done[0] += 1000
        connection.close()
        with lock:
            latencies.extend(mine)
            statuses.update(codes)

    threads = [threading.Thread(target=client, args=(offset,)) for offset in range(clients)]
    for thread in threads:
        thread.start()
    shown = time.monotonic()
    while any(thread.is_alive() for thread in threads):
        time.sleep(0.05)
        if time.monotonic() - shown >= 10:
            shown = time.monotonic()
            print(f"  … {done[0]:,} sent", flush=True)
    for thread in threads:
        thread.join()
    return latencies, statuses


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def storage_line(engine: Any, url: str, stored: int, path: Path | None) -> str:
    if stored == 0:
        return "nothing stored"
    with engine.connect() as connection:
        if url.startswith("postgresql"):
            size = connection.scalar(text("SELECT pg_total_relation_size('conversation_messages')"))
            return f"{size / stored:.0f} bytes per message (pg_total_relation_size, table + indexes + TOAST)"
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        assert path is not None
        line = f"{path.stat().st_size / stored:.0f} bytes per message (the whole SQLite file / messages)"
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
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir, running_stand_in() as api:
        path = None if args.database_url else Path(workdir) / "ingest.db"
        url = args.database_url or f"sqlite:///{path}"
        engine = prepare(url, args.accounts)
        bodies = events(args.messages, args.accounts, start=int(time.time()) - 3 * 86400)
        served = spawn_serve(Path(workdir), api.api_url, database_url=url, token="xoxb-bench",
                             TANDEM_LISTENER_THREADS="8", LOG_LEVEL="WARNING")  # fmt: skip
        try:
            wait_for(lambda: healthy(served.port) or served.process.poll() is not None, timeout=120)
            print(f"{args.messages:,} signed message events, {args.clients} clients, {args.accounts} linked channels, "
                  f"{'PostgreSQL' if args.database_url else 'SQLite'}")  # fmt: skip
            began = time.perf_counter()
            latencies, statuses = send_all(served.port, bodies, args.clients)
            seconds = time.perf_counter() - began
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
        print(f"  {len(bodies) / seconds:,.0f} events per second ({len(bodies):,} in {seconds:.1f} s); "
              f"answers {dict(statuses)}")  # fmt: skip
        print(f"  ack p50 {1000 * percentile(latencies, 0.5):.1f} ms, p95 {1000 * percentile(latencies, 0.95):.1f} ms, "
              f"p99 {1000 * percentile(latencies, 0.99):.1f} ms")  # fmt: skip
        print(f"  stored {stored:,} messages {kinds}; in the excluded channel: {excluded}")
        print(f"  {storage_line(engine, url, stored, path)}")
        errors = [line for line in served.output().splitlines() if "ERROR" in line]
        print(f"  serve logged {len(errors)} errors" + (f", e.g. {errors[0]}" if errors else ""))


if __name__ == "__main__":
    main()
