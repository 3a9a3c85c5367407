"""bot.http_app behind bot.http_server: /slack/events into Bolt, /healthz with a database probe, 404 elsewhere."""

from __future__ import annotations

import io
import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from bot.http_app import MAX_BODY_BYTES, make_wsgi_app
from storage.db import make_engine, make_session_factory
from tests.conftest import Database
from tests.integration.slack_env import SECRET, SlackEnv, serving, slack_env
from tests.support.slack_requests import sign


@pytest.fixture
def env(sqlite_db: Database) -> Iterator[SlackEnv]:
    with slack_env(sqlite_db) as environment:
        yield environment


def _get(url: str, *, timeout: float = 5) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_healthz_reports_the_database(env: SlackEnv) -> None:
    assert _get(f"{env.base_url}/healthz") == (200, {"ok": True, "database": "ok"})


def test_healthz_is_503_when_the_database_is_unreachable(env: SlackEnv, tmp_path: Any) -> None:
    broken = make_session_factory(make_engine(f"sqlite:///{tmp_path}/no/such/dir/tandem.db"))
    with serving(env.app, broken) as server:
        status, body = _get(f"http://127.0.0.1:{server.port}/healthz")
    assert (status, body["ok"], body["database"]) == (503, False, "unavailable")


@contextmanager
def silent_postgres() -> Iterator[int]:
    """A 'PostgreSQL' that accepts TCP connections and never says a word (a hung server, or a
    network path that drops everything after the handshake)."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=16)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        listener.close()
        for connection in held:
            connection.close()


def test_healthz_is_503_within_seconds_when_postgresql_never_answers(env: SlackEnv) -> None:
    with silent_postgres() as port:
        engine = make_engine(f"postgresql+psycopg://tandem@127.0.0.1:{port}/tandem")
        with serving(env.app, make_session_factory(engine)) as server:
            started = time.monotonic()
            try:
                status, body = _get(f"http://127.0.0.1:{server.port}/healthz", timeout=20)
            finally:
                took = time.monotonic() - started
        engine.dispose()
    print(f"\n[health] PostgreSQL accepting but silent: /healthz answered in {took:.1f} s")
    assert (status, body["database"]) == (503, "unavailable")
    assert took < 8, took


@pytest.mark.parametrize("path", ["/admin", "/slack/events", "/"])
def test_anything_else_is_404(env: SlackEnv, path: str) -> None:
    assert _get(f"{env.base_url}{path}")[0] == 404  # GET /slack/events included


def test_an_unsigned_post_is_401(env: SlackEnv) -> None:
    request = urllib.request.Request(f"{env.base_url}/slack/events", data=b"payload=%7B%7D", method="POST")
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=5)
    assert raised.value.code == 401


@pytest.mark.parametrize(
    ("body", "age", "secret", "why", "status"),
    [
        (b"payload=%7B%7D", 0, "wrong-secret", "signature mismatch", 401),
        (b"payload=%7B%7D", 600, SECRET, "stale timestamp", 401),  # signed, but ten minutes ago
        # Slack sends UTF-8 and its signature can only be checked over text: unusable, 400
        # (Bolt would have failed to decode it: a 500).
        (b"payload=\xff\xfe", 0, SECRET, "not UTF-8", 400),
    ],
)
def test_a_request_slack_did_not_sign_just_now_is_refused_with_one_line_of_log(
    env: SlackEnv, caplog: pytest.LogCaptureFixture, body: bytes, age: int, secret: str, why: str, status: int
) -> None:
    timestamp = str(int(time.time()) - age)
    signature = sign(secret, timestamp, body.decode("latin-1")) if why != "not UTF-8" else "v0=00"
    request = urllib.request.Request(
        f"{env.base_url}/slack/events", data=body, method="POST",
        headers={"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature},
    )  # fmt: skip
    with (
        caplog.at_level(logging.WARNING, logger="bot.http_app"),
        pytest.raises(urllib.error.HTTPError) as refused,
    ):
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == status
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.http_app"]
    assert len(lines) == 1 and why in lines[0] and "payload" not in lines[0], lines


def test_an_oversized_body_is_refused_before_it_is_read(env: SlackEnv) -> None:
    statuses: list[str] = []
    environ = {
        "PATH_INFO": "/slack/events",
        "REQUEST_METHOD": "POST",
        "CONTENT_LENGTH": str(MAX_BODY_BYTES + 1),
        "wsgi.input": io.BytesIO(b""),  # reading it would find nothing: the check must come first
    }
    wsgi = make_wsgi_app(env.app, env.db.session_factory, signing_secret=SECRET)
    body = b"".join(wsgi(environ, lambda s, h: statuses.append(s)))
    assert statuses == ["413 Payload Too Large"] and json.loads(body)["error"] == "too_large"


def test_bolt_and_the_posters_use_the_stand_in(env: SlackEnv) -> None:
    """SLACK_API_URL reaches the client Bolt itself made: its auth.test landed on the stand-in."""
    auth = env.api.calls_to("auth.test")
    assert auth and auth[0].headers.get("Authorization") == "Bearer xoxb-test-token"
    assert env.app.client.base_url == env.api.api_url
