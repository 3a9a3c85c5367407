"""bot.http_server.HttpServer's graceful stop, with plain WSGI apps standing in for Bolt."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from bot.http_server import THREADS_JOIN_SECONDS, HttpServer
from bot.settings import HttpSettings


def _slow_app(seconds: float) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        time.sleep(seconds)
        start_response("200 OK", [("Content-Length", "4")])
        return [b"done"]

    return app


@contextmanager
def running(app: Callable[..., Iterable[bytes]], **settings: Any) -> Iterator[HttpServer]:
    server = HttpServer(app, host="127.0.0.1", port=0, settings=HttpSettings(**settings))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown(grace_seconds=0)
        thread.join(5)


def _get_in_background(port: int) -> tuple[threading.Thread, list[Any]]:
    result: list[Any] = []

    def get() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", "/")
            response = connection.getresponse()
            result.append((response.status, response.read()))
        except (OSError, http.client.HTTPException) as error:
            result.append(error)

    thread = threading.Thread(target=get)
    thread.start()
    return thread, result


def test_shutdown_lets_the_request_in_flight_finish_and_refuses_new_ones() -> None:
    with running(_slow_app(1.0), shutdown_grace_seconds=10) as server:
        request, result = _get_in_background(server.port)
        time.sleep(0.3)  # the app is running it
        stopper = threading.Thread(target=server.shutdown)
        started = time.monotonic()
        stopper.start()
        time.sleep(0.2)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", server.port), timeout=1)
        request.join(10)
        stopper.join(10)
        took = time.monotonic() - started
    assert result == [(200, b"done")]
    assert not stopper.is_alive() and took < 3, took


def test_idle_keep_alive_connections_do_not_hold_up_the_stop() -> None:
    with running(_slow_app(0), shutdown_grace_seconds=10) as server:
        idle = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        idle.request("GET", "/")
        assert idle.getresponse().read() == b"done"  # HTTP/1.1: the connection stays open
        started = time.monotonic()
        server.shutdown()
        assert time.monotonic() - started < 2


def test_a_request_slower_than_the_grace_period_is_cut_off() -> None:
    with running(_slow_app(3.0), shutdown_grace_seconds=0.5) as server:
        request, result = _get_in_background(server.port)
        time.sleep(0.3)
        started = time.monotonic()
        server.shutdown()
        took = time.monotonic() - started
        request.join(10)
    assert 0.4 < took < 0.5 + THREADS_JOIN_SECONDS + 1, took
    assert isinstance(result[0], (OSError, http.client.HTTPException)), result
