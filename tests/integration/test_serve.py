"""`python app.py serve` as a real process: HTTP mode on $PORT, Slack traffic to SLACK_API_URL."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.slack_requests import SlackSender
from tests.support.slack_stand_in import StandIn, running_stand_in
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
SECRET = "serve-test-secret"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[int, StandIn]]:
    with running_stand_in() as api:
        port = _free_port()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
            "SLACK_BOT_TOKEN": "xoxb-serve-test",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": api.api_url,
            "PORT": str(port),
            "TANDEM_SCHEDULER": "false",
        }
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "serve"], cwd=tmp_path, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            wait_for(lambda: _healthy(port) or process.poll() is not None, timeout=30)
            if process.poll() is not None:
                pytest.fail(f"serve exited early:\n{process.stdout.read() if process.stdout else ''}")
            yield port, api
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def test_serve_answers_health_and_signed_slack_requests(served: tuple[int, StandIn]) -> None:
    port, api = served
    assert _healthy(port)
    assert api.calls_to("auth.test"), "Bolt checks its token against SLACK_API_URL at start-up"

    slack = SlackSender(f"http://127.0.0.1:{port}/slack/events", SECRET)
    reply = slack.slash_command(
        "nothing-like-this", user_id="U0MGR001", response_url=api.response_url("brief")
    )
    assert reply.status == 200 and "Preparing the brief" in reply.json()["text"]
    answer = wait_for(lambda: api.calls_to("response_url"), timeout=10)[0].body
    assert "No account matches" in answer["text"]

    forged = SlackSender(f"http://127.0.0.1:{port}/slack/events", "wrong-secret")
    assert (
        forged.slash_command("x", user_id="U0MGR001", response_url=api.response_url("forged")).status == 401
    )
    assert (
        json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read())["ok"] is True
    )
