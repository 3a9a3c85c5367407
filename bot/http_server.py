"""HTTP mode: `POST /slack/events` into Bolt, `GET /healthz`, on a small threading WSGI server.

Bolt's WSGI adapter needs no extra dependency; behind a load balancer in production the same
WSGI callable (`make_wsgi_app`) can be served by any WSGI server.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from bot.request_guard import GuardedSlackRequestHandler

logger = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY_BYTES = 1_000_000  # Slack's payloads are a few kB; refuse anything absurd before reading it
StartResponse = Callable[..., Any]


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)


def make_wsgi_app(
    app: App, session_factory: sessionmaker[Session]
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    slack = GuardedSlackRequestHandler(app, path=EVENTS_PATH)  # a signed but unusable body: 400

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == EVENTS_PATH and method == "POST":
            if _content_length(environ) > MAX_BODY_BYTES:
                return _json(start_response, "413 Payload Too Large", {"ok": False, "error": "too_large"})
            return slack(environ, start_response)
        if path == HEALTH_PATH and method == "GET":
            return _health(session_factory, start_response)
        return _json(start_response, "404 Not Found", {"ok": False, "error": "not_found"})

    return wsgi


def _content_length(environ: dict[str, Any]) -> int:
    try:
        return int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return MAX_BODY_BYTES + 1


def _health(session_factory: sessionmaker[Session], start_response: StartResponse) -> Iterable[bytes]:
    try:
        with session_factory() as session:
            session.execute(text("SELECT 1"))
    except Exception as error:  # the probe reports, it never raises
        logger.warning("health check: database unavailable: %s", error)
        return _json(start_response, "503 Service Unavailable", {"ok": False, "database": "unavailable"})
    return _json(start_response, "200 OK", {"ok": True, "database": "ok"})


def _json(start_response: StartResponse, status: str, payload: dict[str, Any]) -> Iterable[bytes]:
    body = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def make_http_server(
    app: App, session_factory: sessionmaker[Session], *, host: str = "0.0.0.0", port: int
) -> ThreadingWSGIServer:
    """A threading WSGI server; call `serve_forever()` and, to stop, `shutdown()`.

    Port 0 picks a free port (tests): read it back from `server.server_address[1]`.
    """
    server = make_server(
        host,
        port,
        make_wsgi_app(app, session_factory),
        server_class=ThreadingWSGIServer,
        handler_class=QuietHandler,
    )
    return server
