"""`python app.py cycle` killed with SIGKILL at chosen points, then rerun, against a reference.

A trial starts the cycle on a copy of the book and kills it either as its k-th transaction is
about to commit (tests/support/kill_points) or while Slack holds the answer to its j-th card
post; where the kill landed is read back from what the dead process left (`KillPoint`). After
its kills a copy is run to completion, and its `DayState` (every row the cycle writes, by
natural key, counted) and its Slack posts (per message the stand-in recorded) must equal those
of a reference run on an untouched copy: a duplicate shows as a count of 2, a loss as a key
missing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from storage.db import make_engine, make_session_factory
from storage.models import (
    AccountException,
    CircuitBreakerTrip,
    Draft,
    EscalationCard,
    HealthSnapshot,
    OutboxMessage,
    OverrideRecord,
    Signal,
    SlackDelivery,
    TriggerConfig,
)
from tests.support.slack_stand_in import StandIn, _decoded

ROOT = Path(__file__).resolve().parents[2]
KILL_POINTS = Path(__file__).resolve().parent / "kill_points"  # its sitecustomize.py
Keys = Counter[Hashable]


@dataclass
class DayState:
    """What one day's cycle left in the database and in Slack, as counted natural keys (never
    row ids: a run rolled back by a kill burns PostgreSQL sequence values, so ids differ)."""

    tables: dict[str, Keys]
    posts: Keys  # chat.postMessage calls, by the message's natural key

    def duplicates(self) -> dict[str, list[Hashable]]:
        found = {name: [k for k, n in keys.items() if n > 1] for name, keys in self.tables.items()}
        found["slack posts"] = [k for k, n in self.posts.items() if n > 1]
        return {name: keys for name, keys in found.items() if keys}

    def differences(self, reference: DayState) -> dict[str, str]:
        """Per table or Slack: the keys missing here (lost) and here beyond the reference (extra)."""
        mine = {**self.tables, "slack posts": self.posts}
        theirs = {**reference.tables, "slack posts": reference.posts}
        found = {}
        for name in theirs:
            lost, extra = (
                list((theirs[name] - mine[name]).elements()),
                list((mine[name] - theirs[name]).elements()),
            )
            if lost or extra:
                found[name] = f"{len(lost)} lost {lost[:3]}, {len(extra)} extra {extra[:3]}"
        return found

    def sizes(self) -> dict[str, int]:
        return {name: sum(keys.values()) for name, keys in {**self.tables, "slack posts": self.posts}.items()}


def day_state(database_url: str, api: StandIn, *, as_of: date) -> DayState:
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            signal_key = {
                row.id: (row.account_id, row.trigger)
                for row in session.scalars(select(Signal).where(Signal.as_of == as_of))
            }
            card_key = {
                card.id: (card.account_id, signal_key.get(card.signal_id or -1, card.audit_key), card.kind)
                for card in session.scalars(select(EscalationCard))
            }
            delivery_key = {
                d.id: (d.kind, d.recipient, card_key.get(d.card_id or -1) or _about(d.key, card_key))
                for d in session.scalars(select(SlackDelivery))
            }
            tables: dict[str, Keys] = {
                "snapshots": Counter(
                    session.scalars(select(HealthSnapshot.account_id).where(HealthSnapshot.as_of == as_of))
                ),
                "signals": Counter(
                    (s.account_id, s.trigger, s.route)
                    for s in session.scalars(select(Signal).where(Signal.as_of == as_of))
                ),
                "drafts": Counter(
                    (d.account_id, signal_key.get(d.signal_id or -1), d.kind, d.author, d.subject, d.body)
                    for d in session.scalars(select(Draft))
                ),
                "cards": Counter(
                    (*card_key[c.id], c.state, c.delivery, c.recipient_slack_id, c.message_ts is not None)
                    for c in session.scalars(select(EscalationCard))
                ),
                "slack deliveries": Counter(
                    (*delivery_key[d.id], d.state) for d in session.scalars(select(SlackDelivery))
                ),
                "outbox": Counter(
                    (signal_key.get(o.signal_id or -1, o.idempotency_key), o.channel, o.recipient, o.state)
                    for o in session.scalars(select(OutboxMessage))
                ),
                "override log": Counter(
                    (o.action, o.account_id, o.trigger, card_key.get(o.card_id or -1))
                    for o in session.scalars(select(OverrideRecord))
                ),
                "circuit trips": Counter(
                    (t.as_of, t.trigger) for t in session.scalars(select(CircuitBreakerTrip))
                ),
                "account exceptions": Counter(
                    (e.account_id, e.trigger, e.state) for e in session.scalars(select(AccountException))
                ),
                "trigger configs": Counter(session.scalars(select(TriggerConfig.version))),
            }
    finally:
        engine.dispose()
    return DayState(tables, _posts(api, delivery_key))


def _about(key: str, card_key: Mapping[int, Hashable]) -> Hashable:
    """A delivery key without its row ids: a manager's escalation notice is keyed
    "escalation:<card id>:<manager>", and the card's id differs between copies."""
    kind, _, rest = key.partition(":")
    card_id, _, tail = rest.partition(":")
    if kind == "escalation" and card_id.isdigit():
        return (kind, card_key.get(int(card_id)), tail)
    return key


def _posts(api: StandIn, delivery_key: Mapping[int, Hashable]) -> Keys:
    posts: Keys = Counter()
    for call in api.calls_to("chat.postMessage"):
        metadata = _decoded(call.body.get("metadata")) or {}
        if metadata.get("event_type") == "tandem_delivery":
            posts[delivery_key.get(int(metadata["event_payload"]["id"]), "unknown delivery")] += 1
        else:
            posts[("untagged", call.body.get("channel"), str(call.body.get("text"))[:60])] += 1
    return posts


@dataclass(frozen=True)
class KillPoint:
    """Where a kill landed, read from what the dead process left behind."""

    at: str  # "before commit 7", "while Slack answers card post 12"
    snapshots: int
    signals: int
    cards: int
    cards_posted: int  # cards with their Slack message recorded
    card_posts: int  # card messages Slack received (the stand-in's count, this copy so far)
    finished: bool = False  # the run ended before reaching the point (the trial killed nothing)

    def describe(self) -> str:
        return (
            f"{self.at}: {self.phase()} "
            f"[{self.snapshots} scores, {self.signals} signals, {self.cards} DM cards, "
            f"{self.cards_posted} recorded as posted, {self.card_posts} received by Slack]"
        )

    def phase(self) -> str:
        if self.finished:
            return "finished before the point"
        if not self.snapshots:
            return "before the day's scores were stored"
        if not self.signals:
            return "scored, before any decision was written"
        if self.card_posts == 0:
            return "decisions written, before the first post"
        if self.cards_posted < self.cards or self.card_posts > self.cards_posted:
            return "mid-post"
        return "every card posted (waking snoozed cards)"


def card_posts(api: StandIn) -> int:
    return sum(
        1
        for call in api.calls_to("chat.postMessage")
        if "escalation-card-why" in str(call.body.get("blocks"))
    )


@dataclass
class CycleRunner:
    """Starts `python app.py cycle` for one day against a database and the Web API stand-in, with
    the kill points of tests/support/kill_points on its path."""

    api: StandIn
    as_of: date
    log_dir: Path
    runs: list[float] = field(default_factory=list)  # wall seconds of each completed run
    commits: list[int] = field(default_factory=list)  # transactions each completed run committed

    def environment(self, database_url: str, **extra: str) -> dict[str, str]:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": "xoxb-crash-test",
            "SLACK_API_URL": self.api.api_url,
            # The rerun, moments after the kill, takes over the dead run's claims at once (in
            # production they wait TANDEM_DELIVERY_STALE_SECONDS, then the same path runs).
            "TANDEM_DELIVERY_STALE_SECONDS": "0",
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(KILL_POINTS)]),
            **extra,
        }
        for name in ("OPENAI_API_KEY", "SLACK_APP_TOKEN", "SMTP_URL", "LOG_FORMAT"):
            env.pop(name, None)  # drafts by template; no Socket Mode, no email
        return env

    def start(self, database_url: str, **extra: str) -> tuple[subprocess.Popen[bytes], Path]:
        log = self.log_dir / f"cycle-{time.monotonic_ns()}.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, str(ROOT / "app.py"), "cycle", "--as-of", self.as_of.isoformat()],
                cwd=ROOT, env=self.environment(database_url, **extra), stdout=sink, stderr=subprocess.STDOUT,
            )  # fmt: skip
        return process, log

    def complete(self, database_url: str, *, timeout: float = 180) -> str:
        counted = self.log_dir / f"commits-{time.monotonic_ns()}"
        started = time.perf_counter()
        process, log = self.start(database_url, TANDEM_TEST_COUNT_COMMITS=str(counted))
        process.wait(timeout)
        self.runs.append(time.perf_counter() - started)
        output = log.read_text(errors="replace")
        if process.returncode != 0:
            raise AssertionError(f"the cycle exited {process.returncode}:\n{output[-4000:]}")
        self.commits.append(int(counted.read_text()))
        return output

    def kill_before_commit(self, database_url: str, commit: int, *, timeout: float = 180) -> KillPoint:
        """The run kills itself as its `commit`-th transaction is about to commit."""
        process, log = self.start(database_url, TANDEM_TEST_KILL_BEFORE_COMMIT=str(commit))
        process.wait(timeout)
        if process.returncode not in (0, -signal.SIGKILL):
            raise AssertionError(
                f"the cycle exited {process.returncode}:\n{log.read_text(errors='replace')[-4000:]}"
            )
        return self.kill_point(database_url, at=f"before commit {commit}", finished=process.returncode == 0)

    def kill_mid_post(self, database_url: str, post: int, *, timeout: float = 180) -> KillPoint:
        """SIGKILL once Slack has received the run's `post`-th card and is slow to answer it:
        the message is in Slack, its record is not in the database."""
        before = card_posts(self.api)
        self.api.delays["chat.postMessage"] = 0.3
        try:
            process, _ = self.start(database_url)
            deadline = time.monotonic() + timeout
            while (
                card_posts(self.api) < before + post
                and process.poll() is None
                and time.monotonic() < deadline
            ):
                time.sleep(0.005)
            process.send_signal(signal.SIGKILL)
            process.wait(30)
            time.sleep(0.4)  # the stand-in finishes answering the dead process's last call
        finally:
            self.api.delays.pop("chat.postMessage", None)
        return self.kill_point(
            database_url, at=f"while Slack answers card post {post}", finished=process.returncode == 0
        )

    def kill_point(self, database_url: str, *, at: str, finished: bool) -> KillPoint:
        engine = make_engine(database_url)
        try:
            with make_session_factory(engine)() as session:
                counts = {
                    name: session.scalar(select(func.count()).select_from(query.subquery())) or 0
                    for name, query in {
                        "snapshots": select(HealthSnapshot.account_id).where(
                            HealthSnapshot.as_of == self.as_of
                        ),
                        "signals": select(Signal.id).where(Signal.as_of == self.as_of),
                        "cards": select(EscalationCard.id).where(EscalationCard.delivery == "dm"),
                        "cards_posted": select(EscalationCard.id).where(
                            EscalationCard.message_ts.is_not(None)
                        ),
                    }.items()
                }
        finally:
            engine.dispose()
        return KillPoint(at=at, card_posts=card_posts(self.api), finished=finished, **counts)
