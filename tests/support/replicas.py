"""Several `python app.py serve` processes on one PostgreSQL database, as a team runs Tandem at scale.

Each replica is the real process (HTTP mode, its own port and log, Slack's Web API at the
stand-in); they share the database and nothing else. They start at once (the scheduler tests
want them to reach their first trigger together) and are stopped with SIGTERM, or killed with
SIGKILL mid-load by the tests that want a replica to die the way a lost host does.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from tests.conftest import Database
from tests.support.serve_process import SECRET, ServeProcess, free_port, healthy, spawn_serve
from tests.support.slack_requests import SlackSender
from tests.support.waiting import wait_for

TOKEN = "xoxb-replica-test"


def database_url(db: Database) -> str:
    """The test's database as a DATABASE_URL another process can use: on PostgreSQL the test
    run's private schema rides along as the connection's search_path."""
    if db.backend == "sqlite":
        return db.url
    with db.engine.connect() as connection:
        schema = connection.exec_driver_sql("SELECT current_schema()").scalar_one()
    return f"{db.url}?options=-csearch_path%3D{schema}"


def spawn(workdir: Path, api_url: str, url: str, **env: str) -> ServeProcess:
    """Start one `serve` (not waiting for it) with its log in `workdir`."""
    workdir.mkdir(parents=True, exist_ok=True)
    return spawn_serve(workdir, api_url, database_url=url, token=TOKEN, **env)


def wait_healthy(replicas: list[ServeProcess], *, timeout: float = 60) -> None:
    for replica in replicas:
        wait_for(lambda r=replica: healthy(r.port) or r.process.poll() is not None, timeout=timeout)  # type: ignore[misc]
        if replica.process.poll() is not None:
            raise RuntimeError(f"serve exited early:\n{replica.output()}")


def stop(replica: ServeProcess) -> None:
    if replica.process.poll() is None:
        replica.process.send_signal(signal.SIGTERM)
        try:
            replica.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            replica.process.kill()
            replica.process.wait()


def kill(replica: ServeProcess) -> None:
    """SIGKILL: no handler runs, the requests in flight die with it, its database sessions end."""
    replica.process.send_signal(signal.SIGKILL)
    replica.process.wait(timeout=15)


@contextmanager
def running_replicas(
    workdir: Path, api_url: str, url: str, *, count: int = 2, **env: str
) -> Iterator[list[ServeProcess]]:
    """`count` replicas started together on one database, healthy before the test goes on."""
    replicas = [spawn(workdir / f"replica-{index}", api_url, url, **env) for index in range(count)]
    try:
        wait_healthy(replicas)
        yield replicas
    finally:
        for replica in replicas:
            stop(replica)


def sender(replica: ServeProcess) -> SlackSender:
    return SlackSender(replica.events_url, SECRET)


class Inbox(Message):
    """What the replicas' outbox sent: every email a local SMTP server received. With `stall`
    seconds set, a message's DATA is taken in and answered only after that long (a sender killed
    meanwhile never learns whether it went out, and the message is not kept)."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Any] = []
        self.stall = 0.0
        self.started = 0  # DATA commands begun, finished or not

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.started += 1
        if self.stall:
            await asyncio.sleep(self.stall)
            return "451 stalled"
        return str(await super().handle_DATA(server, session, envelope))

    def handle_message(self, message: Any) -> None:
        self.messages.append(message)


@contextmanager
def local_smtp() -> Iterator[tuple[Inbox, str]]:
    """A local SMTP server and its SMTP_URL."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()
