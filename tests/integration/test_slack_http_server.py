"""bot.http_server: /slack/events into Bolt, /healthz with a database probe, 404 elsewhere."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from bot.http_server import MAX_BODY_BYTES, make_wsgi_app
from storage.db import make_engine, make_session_factory
from tests.conftest import Database
from tests.integration.slack_env import SlackEnv, serving, slack_env


@pytest.fixture
def env(sqlite_db: Database) -> Iterator[SlackEnv]:
    with slack_env(sqlite_db) as environment:
        yield environment


def _get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_healthz_reports_the_database(env: SlackEnv) -> None:
    assert _get(f"{env.base_url}/healthz") == (200, {"ok": True, "database": "ok"})


def test_healthz_is_503_when_the_database_is_unreachable(env: SlackEnv, tmp_path: Any) -> None:
    broken = make_session_factory(make_engine(f"sqlite:///{tmp_path}/no/such/dir/tandem.db"))
    with serving(env.app, broken) as server:
        status, body = _get(f"http://127.0.0.1:{server.server_address[1]}/healthz")
    assert (status, body["ok"], body["database"]) == (503, False, "unavailable")


@pytest.mark.parametrize("path", ["/admin", "/slack/events", "/"])
def test_anything_else_is_404(env: SlackEnv, path: str) -> None:
    assert _get(f"{env.base_url}{path}")[0] == 404  # GET /slack/events included


def test_an_unsigned_post_is_401(env: SlackEnv) -> None:
    request = urllib.request.Request(f"{env.base_url}/slack/events", data=b"payload=%7B%7D", method="POST")
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=5)
    assert raised.value.code == 401


def test_an_oversized_body_is_refused_before_it_is_read(env: SlackEnv) -> None:
    statuses: list[str] = []
    environ = {
        "PATH_INFO": "/slack/events",
        "REQUEST_METHOD": "POST",
        "CONTENT_LENGTH": str(MAX_BODY_BYTES + 1),
        "wsgi.input": io.BytesIO(b""),  # reading it would find nothing: the check must come first
    }
    body = b"".join(make_wsgi_app(env.app, env.db.session_factory)(environ, lambda s, h: statuses.append(s)))
    assert statuses == ["413 Payload Too Large"] and json.loads(body)["error"] == "too_large"


def test_bolt_and_the_posters_use_the_stand_in(env: SlackEnv) -> None:
    """SLACK_API_URL reaches the client Bolt itself made: its auth.test landed on the stand-in."""
    auth = env.api.calls_to("auth.test")
    assert auth and auth[0].headers.get("Authorization") == "Bearer xoxb-test-token"
    assert env.app.client.base_url == env.api.api_url
