"""Socket Mode's side port: GET /metrics and /healthz on a small HTTP server of their own.

In Socket Mode Slack's requests arrive over a WebSocket Tandem opens, so nothing listens for
HTTP; Prometheus and the orchestrator's probes still need an address. This is the same WSGI
app HTTP mode serves beside /slack/events (bot.http_app.make_ops_wsgi_app), on waitress with a
couple of threads, in a daemon thread of the `serve` process (TANDEM_METRICS_PORT, 9102).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from bot.deps import Deps
from bot.http_app import make_ops_wsgi_app
from bot.http_server import HttpServer
from bot.settings import HttpSettings

logger = logging.getLogger(__name__)
SIDE_SETTINGS = HttpSettings(
    threads=2, connection_limit=50, backlog=64, timeout_seconds=30.0, max_body_bytes=4096
)
STOP_SECONDS = 5.0


def make_side_server(deps: Deps, *, host: str = "0.0.0.0", port: int) -> HttpServer:
    """The side server, not yet serving; port 0 picks a free port (read it from `.port`)."""
    settings = SIDE_SETTINGS.model_copy(
        update={"health_timeout_seconds": deps.settings.health_timeout_seconds}
    )
    wsgi = make_ops_wsgi_app(
        deps.session_factory, deps.metrics, health_timeout_seconds=settings.health_timeout_seconds
    )
    return HttpServer(wsgi, host=host, port=port, settings=settings)


@contextmanager
def serving_side_port(deps: Deps, *, host: str = "0.0.0.0", port: int) -> Iterator[HttpServer]:
    """Serve /metrics and /healthz in a daemon thread while the block runs; stop after it."""
    server = make_side_server(deps, host=host, port=port)
    thread = threading.Thread(target=server.serve_forever, name="side-port", daemon=True)
    thread.start()
    logger.info("GET /metrics and /healthz on http://%s:%s", host, server.port)
    try:
        yield server
    finally:
        server.shutdown(grace_seconds=STOP_SECONDS)
        thread.join(STOP_SECONDS)
