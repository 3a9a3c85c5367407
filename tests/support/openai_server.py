"""A local OpenAI-compatible chat completions server for the LLM path (127.0.0.1 only).

Each test scripts its answers: content to return, invalid JSON, a delay (for timeouts), an
HTTP status with headers (429 with Retry-After, 500). Every request body is recorded.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Behaviour:
    content: str | None = None  # the assistant message content
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class FakeLLM:
    port: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    script: list[Behaviour] = field(default_factory=list)
    default: Behaviour = field(
        default_factory=lambda: Behaviour(content=json.dumps({"subject": "Hi", "body": "Hello."}))
    )
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def answer(self, *behaviours: Behaviour) -> None:
        with self.lock:
            self.script.extend(behaviours)

    def answer_json(self, subject: str, body: str) -> None:
        self.answer(Behaviour(content=json.dumps({"subject": subject, "body": body})))

    def next(self) -> Behaviour:
        with self.lock:
            return self.script.pop(0) if self.script else self.default


def _handler(state: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            with state.lock:
                state.requests.append({"path": self.path, "body": body, "headers": dict(self.headers)})
            behaviour = state.next()
            if behaviour.delay:
                time.sleep(behaviour.delay)
            if behaviour.status != 200:
                payload = {
                    "error": {"message": "scripted failure", "type": "server_error", "code": behaviour.status}
                }
                self._send(behaviour.status, payload, behaviour.headers)
                return
            prompt_chars = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
            completion = behaviour.content or ""
            self._send(
                200,
                {
                    "id": "chatcmpl-test",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body.get("model", "test-model"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": completion},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {
                        "prompt_tokens": prompt_chars // 4,
                        "completion_tokens": len(completion) // 4,
                        "total_tokens": prompt_chars // 4 + len(completion) // 4,
                    },
                },
            )

        def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(raw)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test); nothing to answer

    return Handler


@contextmanager
def running_fake_llm() -> Iterator[FakeLLM]:
    state = FakeLLM()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
