"""A local OpenAI-compatible chat completions server for the LLM path (binds 127.0.0.1 only).

Tests point the real `openai` client at `server.base_url` and script the answers, one per
request, in order: content (`Behaviour.answer`), invalid JSON, a delay that outlasts the
client's timeout, no answer at all until the server stops (`Behaviour.no_answer`), HTTP 429 with
Retry-After, HTTP 500, a tool call (`Behaviour.tool_call`) and a plain final message
(`Behaviour.final`) for tool-calling exchanges. When the script runs out, every request
gets `responder(body)` when one is set (a fake model that reads the prompt), else `default`.
`latency` delays every answer (benchmarks), and the server counts how many requests it was
serving at once (`peak_in_flight`). Every request is recorded (path, headers, parsed JSON body,
arrival time).

    with FakeOpenAI() as server:
        server.script(Behaviour.rate_limited(), Behaviour.answer(subject="Hi", body="Hello"))
        ...  # use server.base_url
        assert server.requests[0].body["model"] == "test-model"
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

LOOPBACK = "127.0.0.1"
COMPLETION_PATHS = frozenset({"/v1/chat/completions", "/chat/completions"})


@dataclass(frozen=True)
class Behaviour:
    """What the server does with one request."""

    content: str = ""  # the assistant message content (status 200)
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0  # seconds to sleep before answering (a timeout test)
    hang: bool = False  # never answer: hold the request until the server stops (a model outage)
    finish_reason: str = "stop"
    prompt_tokens: int | None = None  # None: estimated from the request's length
    completion_tokens: int | None = None
    # tool calling: (name, arguments as the model wrote them: JSON text, or anything for garbage)
    tool_calls: tuple[tuple[str, str], ...] = ()

    @classmethod
    def tool_call(
        cls,
        name: str,
        arguments: dict[str, Any] | str,
        *,
        prompt_tokens: int = 300,
        completion_tokens: int = 20,
    ) -> Behaviour:
        """An assistant message calling one tool (finish_reason "tool_calls"); a str is sent as
        the arguments verbatim (garbage tests)."""
        raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
        return cls(tool_calls=((name, raw),), finish_reason="tool_calls",
                   prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)  # fmt: skip

    @classmethod
    def final(cls, content: str, *, prompt_tokens: int = 400, completion_tokens: int = 30) -> Behaviour:
        """A plain assistant message (the end of a tool-calling exchange)."""
        return cls(content=content, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)

    @classmethod
    def answer(
        cls, *, subject: str, body: str, prompt_tokens: int = 120, completion_tokens: int = 40
    ) -> Behaviour:
        content = json.dumps({"subject": subject, "body": body})
        return cls(content=content, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)

    @classmethod
    def text(cls, content: str) -> Behaviour:
        return cls(content=content)

    @classmethod
    def invalid_json(cls) -> Behaviour:
        return cls(content='Sure! Here is your email: {"subject": "Hi", "body": "Hi Sam,')

    @classmethod
    def sleep(cls, seconds: float) -> Behaviour:
        return cls(content=json.dumps({"subject": "late", "body": "Too late."}), delay=seconds)

    @classmethod
    def no_answer(cls) -> Behaviour:
        return cls(hang=True)

    @classmethod
    def rate_limited(cls, retry_after: str = "1") -> Behaviour:
        return cls(status=429, headers=(("Retry-After", retry_after),))

    @classmethod
    def server_error(cls, status: int = 500) -> Behaviour:
        return cls(status=status)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: dict[str, Any]
    at: float  # time.monotonic() on arrival

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    def message(self, role: str) -> str:
        return next(str(m.get("content", "")) for m in self.messages if m.get("role") == role)


@dataclass
class FakeOpenAI:
    """The server and its script; a context manager (start on enter, stop on exit)."""

    default: Behaviour = field(default_factory=lambda: Behaviour.answer(subject="Hello", body="Hello."))
    requests: list[RecordedRequest] = field(default_factory=list)
    responder: Callable[[dict[str, Any]], Behaviour] | None = None
    latency: float = 0.0  # seconds added to every answer
    peak_in_flight: int = 0
    _in_flight: int = 0
    _script: list[Behaviour] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None

    def script(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self._script.extend(behaviours)

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the fake OpenAI server is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/v1"

    def start(self) -> FakeOpenAI:
        self._stopping.clear()
        self._server = ThreadingHTTPServer((LOOPBACK, 0), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-openai", daemon=True
        ).start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # requests left hanging are let go
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def _record(self, request: RecordedRequest) -> Behaviour | None:
        """Keep the request; the next scripted behaviour for a completions path, else None."""
        with self._lock:
            self.requests.append(request)
            if request.path not in COMPLETION_PATHS:
                return None
            if self._script:
                return self._script.pop(0)
        if self.responder is not None:
            return self.responder(request.body)
        return self.default

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1


def completion_payload(request_body: dict[str, Any], behaviour: Behaviour) -> dict[str, Any]:
    """An answer in the shape of OpenAI's chat completion object (with `tool_calls` when scripted)."""
    prompt_chars = sum(len(str(m.get("content", ""))) for m in request_body.get("messages", []))
    prompt_tokens = behaviour.prompt_tokens if behaviour.prompt_tokens is not None else prompt_chars // 4
    completion_tokens = (
        behaviour.completion_tokens
        if behaviour.completion_tokens is not None
        else len(behaviour.content) // 4
    )
    return {
        "id": f"chatcmpl-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request_body.get("model", "test-model"),
        "choices": [
            {
                "index": 0,
                "message": _message(behaviour),
                "logprobs": None,
                "finish_reason": behaviour.finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _message(behaviour: Behaviour) -> dict[str, Any]:
    if not behaviour.tool_calls:
        return {"role": "assistant", "content": behaviour.content, "refusal": None}
    calls = [
        {
            "id": f"call_{i}_{time.monotonic_ns()}",
            "type": "function",
            "function": {"name": name, "arguments": arguments},
        }
        for i, (name, arguments) in enumerate(behaviour.tool_calls)
    ]
    return {"role": "assistant", "content": behaviour.content or None, "refusal": None, "tool_calls": calls}


def _handler(state: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the test output quiet

        def do_GET(self) -> None:
            self._send(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                body = {"_raw": raw.decode(errors="replace")}
            path = self.path.split("?", 1)[0]
            headers = {key.lower(): value for key, value in self.headers.items()}
            recorded = RecordedRequest("POST", path, headers, body, time.monotonic())
            behaviour = state._record(recorded)
            if behaviour is None:
                self._send(404, {"error": {"message": f"no route {path}", "type": "invalid_request_error"}})
                return
            state._enter()
            try:
                self._answer(body, behaviour)
            finally:
                state._leave()

        def _answer(self, body: dict[str, Any], behaviour: Behaviour) -> None:
            if behaviour.hang:
                state._stopping.wait()
                return
            if behaviour.delay or state.latency:
                time.sleep(behaviour.delay + state.latency)
            if behaviour.status != 200:
                error = {"message": "scripted failure", "type": "server_error", "code": str(behaviour.status)}
                self._send(behaviour.status, {"error": error}, behaviour.headers)
                return
            self._send(200, completion_payload(body, behaviour))

        def _send(
            self, status: int, payload: dict[str, Any], headers: tuple[tuple[str, str], ...] = ()
        ) -> None:
            raw = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for key, value in headers:
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(raw)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test): nobody is listening

    return Handler
