"""HTTP mode: the WSGI app of bot/http_app.py on a small threading WSGI server."""

from __future__ import annotations

import logging
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from sqlalchemy.orm import Session, sessionmaker

from bot.http_app import make_wsgi_app

logger = logging.getLogger(__name__)


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)


def make_http_server(
    app: App, session_factory: sessionmaker[Session], *, signing_secret: str, host: str = "0.0.0.0", port: int
) -> ThreadingWSGIServer:
    """A threading WSGI server; call `serve_forever()` and, to stop, `shutdown()`.

    Port 0 picks a free port (tests): read it back from `server.server_address[1]`.
    """
    server = make_server(
        host,
        port,
        make_wsgi_app(app, session_factory, signing_secret=signing_secret),
        server_class=ThreadingWSGIServer,
        handler_class=QuietHandler,
    )
    return server
