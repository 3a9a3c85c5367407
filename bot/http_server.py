"""Serving HTTP mode: the WSGI app (bot/http_app.py) on waitress, with limits and a graceful stop.

Waitress reads requests in one event loop and hands only complete ones to a fixed pool of
threads, so a connection that sends its headers and then nothing costs a socket, not a
thread, and is closed after `timeout_seconds` of silence. It refuses a body over the limit on
its Content-Length, or as soon as a chunked body crosses it, without reading further (413),
and a Content-Length that is not a number (400). Its listen backlog takes Slack's bursts.

It runs inside the `serve` process, next to the scheduler: a forking server (gunicorn) would
start one scheduler per worker. `shutdown` stops accepting, lets the requests in flight finish
(for up to `shutdown_grace_seconds`), then closes what is left; `run_until_signalled` calls it
on SIGTERM or SIGINT.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from slack_bolt import App
from sqlalchemy.orm import Session, sessionmaker
from waitress import wasyncore
from waitress.server import BaseWSGIServer, create_server

from bot.http_app import make_wsgi_app
from bot.metrics import Metrics
from bot.settings import HttpSettings

logger = logging.getLogger(__name__)
SWEEP_SECONDS = 0.05
THREADS_JOIN_SECONDS = 2.0  # after the grace period, how long a worker may take to let go
QUEUE_WARNING_DEPTH = 100  # requests waiting for a thread before waitress's warning is worth a line


class _DeepQueuesOnly(logging.Filter):
    """Waitress warns for every request that waits for a thread; in a burst of clicks that is
    a line per click, and waiting a few milliseconds is the design. Keep the deep queues."""

    def filter(self, record: logging.LogRecord) -> bool:
        depth = record.args[0] if isinstance(record.args, tuple) and record.args else None
        return not isinstance(depth, int) or depth >= QUEUE_WARNING_DEPTH


class HttpServer:
    """One listening socket served by waitress; `serve_forever` blocks until `shutdown`."""

    def __init__(self, wsgi: Any, *, host: str, port: int, settings: HttpSettings) -> None:
        queue_log = logging.getLogger("waitress.queue")
        if not any(isinstance(f, _DeepQueuesOnly) for f in queue_log.filters):
            queue_log.addFilter(_DeepQueuesOnly())
        self._server: Any = create_server(
            wsgi,
            host=host,
            port=port,
            threads=settings.threads,
            connection_limit=settings.connection_limit,
            backlog=settings.backlog,
            channel_timeout=settings.timeout_seconds,
            cleanup_interval=min(10.0, settings.timeout_seconds),
            max_request_body_size=settings.max_body_bytes,
            ident="tandem",
        )
        if not isinstance(self._server, BaseWSGIServer):  # a host name with several addresses
            raise ValueError(f"serve on one address, not {host!r} (use 0.0.0.0 or an IP address)")
        self._grace = settings.shutdown_grace_seconds
        self._running = threading.Event()
        self._stopping = threading.Event()
        self._hurry = threading.Event()  # a second signal: stop waiting for requests in flight
        self._busy = threading.Event()  # set by each sweep that still found requests in flight
        self._swept = threading.Event()
        self._stopped = threading.Event()

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    def serve_forever(self) -> None:
        self._running.set()
        try:
            self._server.run()
        finally:
            self._server.task_dispatcher.shutdown(timeout=THREADS_JOIN_SECONDS)
            self._stopped.set()

    def shutdown(self, grace_seconds: float | None = None) -> None:
        """Stop accepting, let requests in flight finish, close the rest; returns once stopped.

        Call it from another thread than the one in `serve_forever`; a second call while the
        first waits makes the first stop waiting."""
        if self._stopping.is_set():
            self._hurry.set()
            return
        self._stopping.set()
        if not self._running.is_set():  # never served: nothing in flight, no loop to ask
            self._server.close()
            return
        grace = self._grace if grace_seconds is None else grace_seconds
        if not self._in_loop(self._stop_listening):
            return
        deadline = time.monotonic() + grace
        while not self._stopped.is_set():
            self._swept.clear()
            if not self._in_loop(self._sweep):
                return
            self._swept.wait(1.0)
            if not self._busy.is_set() or self._hurry.is_set() or time.monotonic() >= deadline:
                break
            time.sleep(SWEEP_SECONDS)
        if self._busy.is_set():
            logger.warning("HTTP server: closing connections with requests still in flight")
        if self._in_loop(self._close_everything):
            self._stopped.wait(10)

    def _in_loop(self, step: Callable[[], None]) -> bool:
        """Run `step` in the event loop's thread (through waitress's trigger); False when the
        loop can no longer be reached (its trigger is closed: the loop has ended)."""
        try:
            self._server.trigger.pull_trigger(step)
        except OSError as error:  # EBADF: nothing is left to stop
            logger.warning("HTTP server: the event loop is already gone (%s)", error)
            return False
        return True

    # In the event loop's thread:

    def _stop_listening(self) -> None:
        wasyncore.dispatcher.close(self._server)  # new connections are refused from now on

    def _sweep(self) -> None:
        """Close idle connections; note whether any request is still being read, run or sent."""
        busy = False
        for channel in list(self._server.active_channels.values()):
            if channel.requests or channel.total_outbufs_len or channel.request is not None:
                busy = True
            else:
                channel.will_close = True  # idle keep-alive: the loop closes it on its next pass
        if busy:
            self._busy.set()
        else:
            self._busy.clear()
        self._swept.set()

    def _close_everything(self) -> None:
        for channel in list(self._server.active_channels.values()):
            channel.handle_close()
        self._server.trigger.close()  # the loop ends when nothing is left in its map


def make_http_server(
    app: App,
    session_factory: sessionmaker[Session],
    *,
    signing_secret: str,
    host: str = "0.0.0.0",
    port: int,
    settings: HttpSettings | None = None,
    metrics: Metrics | None = None,
) -> HttpServer:
    """The Slack app, /healthz and /metrics (`metrics`) behind waitress. Port 0 picks a free
    port (tests): read it back from `server.port`."""
    settings = settings or HttpSettings()
    wsgi = make_wsgi_app(
        app,
        session_factory,
        signing_secret=signing_secret,
        max_body_bytes=settings.max_body_bytes,
        health_timeout_seconds=settings.health_timeout_seconds,
        metrics=metrics,
    )
    return HttpServer(wsgi, host=host, port=port, settings=settings)


def run_until_signalled(
    server: HttpServer, signals: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGINT)
) -> None:
    """Serve in this (the main) thread until one of `signals` arrives, then shut down gracefully;
    a second signal stops waiting for the requests in flight."""

    def stop(signum: int, _frame: FrameType | None) -> None:
        logger.info("%s: finishing the requests in flight, then stopping", signal.Signals(signum).name)
        threading.Thread(target=server.shutdown, name="http-shutdown", daemon=True).start()

    previous = {sig: signal.signal(sig, stop) for sig in signals}
    try:
        server.serve_forever()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
