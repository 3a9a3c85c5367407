"""A local stand-in for Slack's Web API (and response_url endpoints), on 127.0.0.1 only.

Records every request (method, parsed JSON or form body, headers) so tests can assert what
was posted; answers like Slack (auth.test from the fixtures, a D… channel for a user id,
`message_not_found` for an update of a message it never posted, `not_authed` without a
token); rejects blocks over Slack's limits (`invalid_blocks`); and can be told to answer the
next calls with 429 (Retry-After) or 500.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from tests.support.block_limits import block_problems, view_problems

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "slack-fixtures"
FALLBACK_AUTH_TEST = {
    "ok": True,
    "url": "https://tandem-test.slack.com/",
    "team": "Tandem Test",
    "user": "tandem",
    "team_id": "T111",
    "user_id": "UB0T",
    "bot_id": "BB0T",
}
# The real auth.test shape from the fixtures when shared/ is beside the checkout.
_AUTH_FIXTURE = FIXTURES / "response_auth_test_bot.json"
AUTH_TEST = json.loads(_AUTH_FIXTURE.read_text()) if _AUTH_FIXTURE.exists() else FALLBACK_AUTH_TEST
MESSAGE_TEXT_LIMIT = 40_000


@dataclass
class Recorded:
    path: str
    method: str  # the Web API method ("chat.postMessage") or "response_url"
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class StandIn:
    port: int = 0
    calls: list[Recorded] = field(default_factory=list)
    scripted: list[tuple[int, dict[str, str], dict[str, Any]]] = field(default_factory=list)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (channel, ts) → body
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "hook") -> str:
        return f"http://127.0.0.1:{self.port}/response/{name}"

    def calls_to(self, method: str) -> list[Recorded]:
        with self.lock:
            return [call for call in self.calls if call.method == method]

    def responses_at(self, name: str) -> list[Recorded]:
        """What was posted to `response_url(name)`."""
        return [call for call in self.calls_to("response_url") if call.path == f"/response/{name}"]

    def fail_next(self, status: int, *, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next `times` Web API calls with 429 (and Retry-After) or a 5xx."""
        headers = {"Retry-After": str(retry_after)} if status == 429 else {}
        error = "ratelimited" if status == 429 else "internal_error"
        with self.lock:
            self.scripted.extend([(status, headers, {"ok": False, "error": error})] * times)


def _parse(raw: bytes, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    if "json" in content_type:
        return dict(json.loads(raw))
    return {key: values[0] for key, values in parse_qs(raw.decode()).items()}


def _decoded(value: Any) -> Any:
    """Form-encoded calls carry blocks and views as JSON strings; JSON calls as objects."""
    return json.loads(value) if isinstance(value, str) else value


def _message_problems(body: dict[str, Any]) -> str | None:
    blocks = _decoded(body.get("blocks"))
    if blocks is not None and block_problems(list(blocks)):
        return "invalid_blocks"
    if len(str(body.get("text") or "")) > MESSAGE_TEXT_LIMIT:
        return "msg_too_long"
    if not body.get("text") and not blocks:
        return "no_text"
    return None


def _make_handler(state: StandIn) -> type[BaseHTTPRequestHandler]:
    ts_counter = itertools.count(1)

    def next_ts() -> str:
        return f"1700000000.{next(ts_counter):06d}"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = _parse(raw, self.headers.get("Content-Type", ""))
            if self.path.startswith("/response/"):
                self._record("response_url", body)
                problem = _message_problems(body)  # Slack answers a bad response_url post with 400
                self._send(400 if problem else 200, {}, (problem or "ok").encode(), "text/plain")
                return
            method = self.path.removeprefix("/api/")
            self._record(method, body)
            with state.lock:
                scripted = state.scripted.pop(0) if state.scripted else None
            if scripted:
                status, headers, payload = scripted
                self._send(status, headers, json.dumps(payload).encode())
                return
            self._send(200, {}, json.dumps(self._answer(method, body)).encode())

        def _record(self, method: str, body: dict[str, Any]) -> None:
            with state.lock:
                state.calls.append(Recorded(self.path, method, body, dict(self.headers)))

        def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
            token = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            if not token and not body.get("token"):
                return {"ok": False, "error": "not_authed"}
            if method == "auth.test":
                return AUTH_TEST
            if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
                problem = _message_problems(body)
                if problem:
                    messages = block_problems(list(_decoded(body.get("blocks")) or []))
                    return {"ok": False, "error": problem, "response_metadata": {"messages": messages}}
                return self._message(method, body)
            if method in ("views.open", "views.publish", "views.update", "views.push"):
                view = dict(_decoded(body.get("view")) or {})
                problems = view_problems(view)
                if problems:
                    return {
                        "ok": False,
                        "error": "invalid_blocks",
                        "response_metadata": {"messages": problems},
                    }
                if method == "views.open" and not body.get("trigger_id"):
                    return {"ok": False, "error": "invalid_trigger_id"}
                return {"ok": True, "view": {**view, "id": "V0001", "hash": "h1"}}
            return {"ok": True}

        def _message(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
            channel = str(body.get("channel", ""))
            if method == "chat.postEphemeral":
                return {"ok": True, "message_ts": next_ts()}
            if method == "chat.update":
                ts = str(body.get("ts", ""))
                with state.lock:
                    if (channel, ts) not in state.messages:
                        return {"ok": False, "error": "message_not_found"}
                    state.messages[(channel, ts)] = body
                return {"ok": True, "channel": channel, "ts": ts, "text": body.get("text")}
            if channel.startswith(("U", "W")):
                channel = "D" + channel[1:]  # posting to a user id lands in the DM with the app
            ts = next_ts()
            with state.lock:
                state.messages[(channel, ts)] = body
            return {"ok": True, "channel": channel, "ts": ts, "message": {"text": body.get("text"), "ts": ts}}

        def _send(
            self, status: int, headers: dict[str, str], payload: bytes, content_type: str = "application/json"
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

    return Handler


@contextmanager
def running_stand_in() -> Iterator[StandIn]:
    state = StandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(state))
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
