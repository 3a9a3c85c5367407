"""`python app.py serve` as a real process: HTTP mode on $PORT, Slack traffic to SLACK_API_URL.

Besides the happy path, the server's limits as Slack and the internet see them: a burst of
clicks, connections that never send their body, bodies far over the limit, forged requests,
SIGTERM with a request in flight. Each test prints what it measured (`pytest -s` shows it;
tests/benchmarks/bench_server.py prints the same figures).
"""

from __future__ import annotations

import json
import signal
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from bot.ids import CardAction
from tests.support.scrape import scrape
from tests.support.serve_process import SECRET, ServeProcess, healthy, proc_status, serve_process
from tests.support.server_load import burst, oversized_post, stalled_connections
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
    # The process's own metrics beside them: Bolt's auth.test at start-up went through its client.
    metrics = scrape(f"http://127.0.0.1:{served.port}/metrics")
    assert metrics.value("tandem_slack_api_calls_total", method="auth.test") == len(api.calls_to("auth.test"))


def test_a_burst_of_fifty_signed_clicks_gets_fifty_answers(served: ServeProcess, api: StandIn) -> None:
    """Slack delivers a busy moment's clicks at once; a full listen queue resets some of them,
    and Slack shows the user an error."""
    slack = SlackSender(served.events_url, SECRET)

    def click(index: int) -> object:
        return slack.block_action(
            CardAction.APPROVE, str(900_000 + index), user_id="U0CSM001", channel_id="D0CSM001",
            message_ts=f"1700000000.{index:06d}", response_url=api.response_url(f"burst-{index}"),
        )  # fmt: skip

    result = burst(click, 50)  # type: ignore[arg-type]
    print(
        f"\n[server] 50 simultaneous signed clicks: {dict(result.statuses)} answered, "
        f"{result.failed} failed {dict(result.errors)}, in {result.seconds:.2f} s"
    )
    assert result.statuses == {200: 50}, (result.statuses, result.errors)


def test_connections_that_never_send_their_body_hold_no_threads(served: ServeProcess) -> None:
    before = proc_status(served.pid)
    with stalled_connections(served.port, 200):
        time.sleep(1.0)  # let the server accept them all
        during = proc_status(served.pid)
        assert healthy(served.port, timeout=5), "the server still answers while they wait"
    print(
        f"\n[server] 200 connections sending headers, never the body: threads {before.threads} → "
        f"{during.threads}, RSS {before.rss_mib:.0f} → {during.rss_mib:.0f} MiB"
    )
    assert during.threads - before.threads <= 2, (before, during)


@pytest.mark.parametrize(
    ("framing", "status"),
    [
        ("length", 413),  # Content-Length over the limit: refused on the headers alone
        ("chunked", 413),  # no length: refused once the limit is crossed
        ("negative", 400),  # Content-Length: -1 is no length at all (RFC 9112 §6.3: 400)
    ],
)
def test_a_100_mib_body_is_refused_without_growing_memory(
    served: ServeProcess, framing: str, status: int
) -> None:
    before = proc_status(served.pid)
    refusal = oversized_post(served.port, framing=framing)
    after = proc_status(served.pid)
    print(
        f"\n[server] 100 MiB body ({framing}): answered {refusal.status} after {refusal.sent_mib:.1f} MiB "
        f"sent, {refusal.seconds:.2f} s {refusal.note}; RSS {before.rss_mib:.0f} → {after.rss_mib:.0f} MiB "
        f"(peak {after.peak_mib:.0f}), threads {before.threads} → {after.threads}"
    )
    assert refusal.status == status
    assert after.peak_mib - before.peak_mib < 10, (before, after)
    assert healthy(served.port)


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


def test_sigterm_finishes_the_request_in_flight_then_stops(tmp_path: Path, api: StandIn) -> None:
    with serve_process(tmp_path, api.api_url, TANDEM_SCHEDULER="true") as served:
        form = {"command": "/brief", "text": "nothing-like-this", "user_id": "U0MGR001", "team_id": "T111",
                "channel_id": "C111", "response_url": api.response_url("late"), "trigger_id": "1.2"}  # fmt: skip
        body = urlencode(form).encode()
        timestamp = str(int(time.time()))
        head = (
            f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"X-Slack-Request-Timestamp: {timestamp}\r\n"
            f"X-Slack-Signature: {sign(SECRET, timestamp, body.decode())}\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
            sock.sendall(head + body[:20])  # the request is under way when SIGTERM comes
            time.sleep(0.3)
            served.process.send_signal(signal.SIGTERM)
            wait_for(lambda: _refused(served.port), timeout=5)  # no new connections
            sock.sendall(body[20:])
            answer = b"".join(iter(lambda: sock.recv(65536), b"")).decode()  # until the server closes
        code = served.process.wait(timeout=15)
        log = served.output()
    print(f"\n[server] SIGTERM mid-request: answered {answer.splitlines()[0]!r}, exit code {code}")
    assert answer.startswith("HTTP/1.1 200"), answer
    assert "Preparing the brief" in answer
    assert code == 0, log
    assert "Scheduler has been shut down" in log, log


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False
