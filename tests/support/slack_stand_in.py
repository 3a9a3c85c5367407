"""A local stand-in for Slack's Web API (and response_url endpoints), on 127.0.0.1 only.

Records every request so tests can assert what was posted; rejects blocks over Slack's
limits the way Slack does (`invalid_blocks`); can be told to answer the next calls with 429
(Retry-After) or 500.
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
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "hook") -> str:
        return f"http://127.0.0.1:{self.port}/response/{name}"

    def calls_to(self, method: str) -> list[Recorded]:
        with self.lock:
            return [call for call in self.calls if call.method == method]

    def fail_next(self, status: int, *, times: int = 1, retry_after: int = 1) -> None:
        headers = {"Retry-After": str(retry_after)} if status == 429 else {}
        error = "ratelimited" if status == 429 else "internal_error"
        self.scripted.extend([(status, headers, {"ok": False, "error": error})] * times)


def block_problems(blocks: list[dict[str, Any]], *, limit: int = 50) -> list[str]:
    """Slack's documented Block Kit limits that a real workspace would reject."""
    problems = []
    if len(blocks) > limit:
        problems.append(f"{len(blocks)} blocks (max {limit})")
    for block in blocks:
        kind = block.get("type")
        if kind == "section":
            if len(block.get("text", {}).get("text", "")) > 3000:
                problems.append("section text over 3000")
            if len(block.get("fields", [])) > 10 or any(
                len(f.get("text", "")) > 2000 for f in block.get("fields", [])
            ):
                problems.append("section fields over limits")
        if kind == "header" and len(block.get("text", {}).get("text", "")) > 150:
            problems.append("header over 150")
        if kind == "context" and len(block.get("elements", [])) > 10:
            problems.append("context over 10 elements")
        if kind == "actions":
            for element in block.get("elements", []):
                if len(element.get("text", {}).get("text", "")) > 75:
                    problems.append("button text over 75")
                if len(element.get("value", "")) > 2000:
                    problems.append("button value over 2000")
                if len(element.get("action_id", "")) > 255:
                    problems.append("action_id over 255")
        if len(block.get("block_id", "")) > 255:
            problems.append("block_id over 255")
    return problems


def _parse(raw: bytes, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    if "json" in content_type:
        return dict(json.loads(raw))
    return {key: values[0] for key, values in parse_qs(raw.decode()).items()}


def _blocks(value: Any) -> list[dict[str, Any]] | None:
    if value is None:
        return None
    return list(json.loads(value) if isinstance(value, str) else value)


def _make_handler(state: StandIn) -> type[BaseHTTPRequestHandler]:
    ts_counter = itertools.count(1)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = _parse(raw, self.headers.get("Content-Type", ""))
            if self.path.startswith("/response/"):
                self._record("response_url", body)
                self._send(200, {}, b"ok", "text/plain")
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
            blocks = _blocks(body.get("blocks"))
            if blocks is not None and block_problems(blocks):
                return {
                    "ok": False,
                    "error": "invalid_blocks",
                    "response_metadata": {"messages": block_problems(blocks)},
                }
            if len(str(body.get("text", ""))) > 40000:
                return {"ok": False, "error": "msg_too_long"}
            if method == "auth.test":
                return AUTH_TEST
            if method in ("chat.postMessage", "chat.update"):
                channel = str(body.get("channel", ""))
                if channel.startswith("U"):
                    channel = "D" + channel[1:]  # posting to a user id lands in the DM
                ts = str(body.get("ts") or f"1700000000.{next(ts_counter):06d}")
                return {
                    "ok": True,
                    "channel": channel,
                    "ts": ts,
                    "message": {"text": body.get("text"), "ts": ts},
                }
            if method == "chat.postEphemeral":
                return {"ok": True, "message_ts": f"1700000000.{next(ts_counter):06d}"}
            if method in ("views.open", "views.publish", "views.update"):
                view = json.loads(body["view"]) if isinstance(body.get("view"), str) else body.get("view", {})
                view_blocks = view.get("blocks", [])
                limit = 100
                if block_problems(view_blocks, limit=limit):
                    return {"ok": False, "error": "invalid_blocks"}
                return {"ok": True, "view": {**view, "id": "V0001", "hash": "h1"}}
            return {"ok": True}

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
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
