"""`python app.py serve` as a real process: HTTP mode on $PORT, Slack traffic to SLACK_API_URL.

Besides the happy path, forged requests as the internet sends them. Each test prints what it
measured (`pytest -s` shows it).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.support.serve_process import SECRET, ServeProcess, healthy, serve_process
from tests.support.slack_requests import SlackSender, sign
from tests.support.slack_stand_in import StandIn, running_stand_in
from tests.support.waiting import wait_for


@pytest.fixture
def api() -> Iterator[StandIn]:
    with running_stand_in() as stand_in:
        yield stand_in


@pytest.fixture
def served(tmp_path: Path, api: StandIn) -> Iterator[ServeProcess]:
    with serve_process(tmp_path, api.api_url) as process:
        yield process


def test_serve_answers_health_and_signed_slack_requests(served: ServeProcess, api: StandIn) -> None:
    assert healthy(served.port)
    assert api.calls_to("auth.test"), "Bolt checks its token against SLACK_API_URL at start-up"

    slack = SlackSender(served.events_url, SECRET)
    reply = slack.slash_command(
        "nothing-like-this", user_id="U0MGR001", response_url=api.response_url("brief")
    )
    assert reply.status == 200 and "Preparing the brief" in reply.json()["text"]
    answer = wait_for(lambda: api.calls_to("response_url"), timeout=10)[0].body
    assert "No account matches" in answer["text"]

    forged = SlackSender(served.events_url, "wrong-secret")
    assert (
        forged.slash_command("x", user_id="U0MGR001", response_url=api.response_url("forged")).status == 401
    )
    status = urllib.request.urlopen(f"http://127.0.0.1:{served.port}/healthz", timeout=2).read()
    assert json.loads(status)["ok"] is True


def test_a_forged_request_is_refused_unread_and_logged_in_one_short_line(served: ServeProcess) -> None:
    """Bolt parses a body before it checks the signature, and logs a forged one whole."""
    padding = "x" * 900_000
    for payload in (json.dumps({"type": "block_actions", "padding": padding}), padding):  # JSON, then not
        logged = len(served.output())
        status = _forged_post(served.events_url, urlencode({"payload": payload}))
        wait_for(lambda: len(served.output()) > logged, timeout=5)  # noqa: B023
        time.sleep(0.2)
        new = served.output()[logged:]
        print(f"\n[server] a forged 0.9 MB request: {status}, {len(new)} bytes of log: {new.strip()[:160]}")
        assert status == 401
        assert len(new.splitlines()) == 1 and len(new) < 300, new[:500]


def _forged_post(url: str, body: str) -> int:
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        url, data=body.encode(), method="POST",
        headers={"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": sign("wrong", timestamp, body)},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
