"""HTTP mode's WSGI app: `POST /slack/events` into Bolt, `GET /healthz`, `GET /metrics`, 404 elsewhere.

`make_ops_wsgi_app` is the last two alone: Socket Mode serves it on its side port
(bot.side_server). Each request to /slack/events gets a request id for its log lines
(bot.request_ids) before anything else, so even a refused request's line carries one.

A request to /slack/events must carry Slack's signature. One that does not is refused (401)
here, before Bolt sees it: Bolt decodes and parses a body before it checks the signature (a
forged body that is not JSON ends in a 500) and logs a forged body whole. Here the check is
slack_sdk's `SignatureVerifier` on the raw bytes, and the refusal is one short log line. The
body limit is the server's job (bot/http_server.py); the check below repeats it for any other
WSGI server this app might be run under.
"""

from __future__ import annotations

import hmac
import io
import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import make_wsgi_app as make_metrics_wsgi_app
from slack_bolt import App
from slack_sdk.signature import SignatureVerifier
from sqlalchemy.orm import Session, sessionmaker

from bot.metrics import Metrics
from bot.request_guard import GuardedSlackRequestHandler
from bot.request_ids import tagged_request, wsgi_headers
from storage.health import check_database

logger = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
MAX_BODY_BYTES = 1_000_000  # Slack's payloads are a few kB
HEALTH_TIMEOUT_SECONDS = 2.0
StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def make_wsgi_app(
    app: App,
    session_factory: sessionmaker[Session],
    *,
    signing_secret: str,
    max_body_bytes: int = MAX_BODY_BYTES,
    health_timeout_seconds: float = HEALTH_TIMEOUT_SECONDS,
    metrics: Metrics | None = None,
) -> WsgiApp:
    """`metrics`: what GET /metrics exposes (a fresh, empty set when not given)."""
    metrics = metrics or Metrics()
    ops = make_ops_wsgi_app(session_factory, metrics, health_timeout_seconds=health_timeout_seconds)
    slack = GuardedSlackRequestHandler(app, path=EVENTS_PATH)  # a signed but unusable body: 400
    verifier = SignatureVerifier(signing_secret)
    acks = metrics.slack_ack_seconds

    def slack_event(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        length = _content_length(environ)
        if length is None or length > max_body_bytes:
            return _json(start_response, "413 Payload Too Large", {"ok": False, "error": "too_large"})
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        if not timestamp or not signature:
            return _refuse(environ, start_response, "no signature", length)
        body = environ["wsgi.input"].read(length)
        if not _is_utf8(body):  # Slack sends UTF-8, and the verifier can only check text: unusable
            logger.warning("refused a request to %s from %s: body is not UTF-8 (%d-byte body not logged)",
                           EVENTS_PATH, environ.get("REMOTE_ADDR", "?"), length)  # fmt: skip
            return _json(start_response, "400 Bad Request", {"ok": False, "error": "not_utf8"})
        problem = _signature_problem(verifier, body, timestamp, signature)
        if problem:
            return _refuse(environ, start_response, problem, length)
        environ["wsgi.input"] = io.BytesIO(body)  # Bolt reads it again (and verifies it again)
        environ["CONTENT_LENGTH"] = str(len(body))
        started = time.perf_counter()
        try:
            return slack(environ, start_response)  # returns once the listener acked
        finally:
            acks.labels(request_kind(body)).observe(time.perf_counter() - started)

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == EVENTS_PATH and method == "POST":
            with tagged_request(wsgi_headers(environ)):
                return slack_event(environ, start_response)
        return ops(environ, start_response)

    return wsgi


def make_ops_wsgi_app(
    session_factory: sessionmaker[Session],
    metrics: Metrics,
    *,
    health_timeout_seconds: float = HEALTH_TIMEOUT_SECONDS,
) -> WsgiApp:
    """`GET /healthz` (the database answers) and `GET /metrics` (Prometheus text), 404 elsewhere."""
    exposition = make_metrics_wsgi_app(metrics.registry)

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == HEALTH_PATH and method == "GET":
            return _health(session_factory, health_timeout_seconds, start_response)
        if path == METRICS_PATH and method == "GET":
            return exposition(environ, start_response)
        return _json(start_response, "404 Not Found", {"ok": False, "error": "not_found"})

    return wsgi


def request_kind(body: bytes) -> str:
    """interaction (a click, a modal), event (Events API JSON) or command (a slash command)."""
    if body.startswith(b"payload="):
        return "interaction"
    return "event" if body.lstrip().startswith(b"{") else "command"


def _content_length(environ: dict[str, Any]) -> int | None:
    """The body's length; None when the header is not a length at all."""
    raw = environ.get("CONTENT_LENGTH") or "0"
    return int(raw) if raw.isdigit() else None


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _signature_problem(verifier: SignatureVerifier, body: bytes, timestamp: str, signature: str) -> str:
    """'' when Slack signed this body within the last five minutes, else what is wrong."""
    if not timestamp.isdigit():
        return "bad timestamp"
    decoded = body.decode("utf-8")  # checked by the caller
    if verifier.is_valid(decoded, timestamp, signature):
        return ""
    expected = verifier.generate_signature(timestamp=timestamp, body=decoded) or ""
    if hmac.compare_digest(expected.encode(), signature.encode()):
        return "stale timestamp (check the clock)"
    return "signature mismatch (check SLACK_SIGNING_SECRET)"


def _refuse(
    environ: dict[str, Any], start_response: StartResponse, reason: str, length: int
) -> Iterable[bytes]:
    logger.warning(
        "refused a request to %s from %s: %s (%d-byte body not logged)",
        EVENTS_PATH,
        environ.get("REMOTE_ADDR", "?"),
        reason,
        length,
    )
    return _json(start_response, "401 Unauthorized", {"ok": False, "error": "invalid_signature"})


def _health(
    session_factory: sessionmaker[Session], timeout_seconds: float, start_response: StartResponse
) -> Iterable[bytes]:
    try:
        check_database(session_factory, timeout_seconds=timeout_seconds)
    except Exception as error:  # the probe reports, it never raises
        logger.warning("health check: database unavailable: %s", error)
        return _json(start_response, "503 Service Unavailable", {"ok": False, "database": "unavailable"})
    return _json(start_response, "200 OK", {"ok": True, "database": "ok"})


def _json(start_response: StartResponse, status: str, payload: dict[str, Any]) -> Iterable[bytes]:
    body = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
