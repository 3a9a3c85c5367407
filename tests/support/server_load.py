"""Hostile and bursty HTTP traffic for the server tests and the server benchmark.

Raw sockets where urllib would hide what happens on the wire: bursts of signed clicks opened
all at once, connections that send headers and never their body, bodies far over the limit
(with a length, chunked, with Content-Length: -1). Only ever to 127.0.0.1.
"""

from __future__ import annotations

import http.client
import select
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from tests.support.slack_requests import Reply

MIB = 1024 * 1024


@dataclass
class Burst:
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)  # exception name → count (resets, …)
    seconds: float = 0.0

    @property
    def failed(self) -> int:
        return sum(self.errors.values())


def burst(send: Callable[[int], Reply], clients: int) -> Burst:
    """`clients` threads, released at once, each sending one request on its own connection."""
    result = Burst()
    lock = threading.Lock()
    gate = threading.Barrier(clients)

    def one(index: int) -> None:
        gate.wait()
        try:
            status = send(index).status
        except (OSError, http.client.HTTPException) as error:
            reason = getattr(error, "reason", None)  # urllib wraps resets in URLError
            with lock:
                result.errors[type(reason if isinstance(reason, BaseException) else error).__name__] += 1
            return
        with lock:
            result.statuses[status] += 1

    threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    result.seconds = time.monotonic() - started
    return result


@contextmanager
def stalled_connections(port: int, count: int, *, timeout: float = 5.0) -> Iterator[list[socket.socket]]:
    """`count` connections that send a POST's headers (Content-Length: 1000) and never the body."""
    head = b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n"
    with ExitStack() as stack:
        sockets = []
        for _ in range(count):
            sock = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=timeout))
            sock.sendall(head)
            sockets.append(sock)
        yield sockets


@dataclass
class Refusal:
    status: int | None  # None: no status line came back
    sent_mib: float  # how much of the body went out before the server answered or hung up
    seconds: float
    note: str = ""


def oversized_post(port: int, *, framing: str, mib: int = 100, timeout: float = 60.0) -> Refusal:
    """POST `mib` MiB to /slack/events, framed by a Content-Length ("length"), as chunks
    ("chunked") or with Content-Length: -1 ("negative", the body ending when the client stops
    writing). Sends until the server answers or hangs up, then reads its status line."""
    headers = {
        "length": f"Content-Length: {mib * MIB}\r\n",
        "chunked": "Transfer-Encoding: chunked\r\n",
        "negative": "Content-Length: -1\r\n",
    }[framing]
    head = (
        "POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"X-Slack-Request-Timestamp: {int(time.time())}\r\nX-Slack-Signature: v0=unsigned\r\n"
        f"{headers}Connection: close\r\n\r\n"
    ).encode()
    piece = b"a" * (256 * 1024)
    chunk = b"%x\r\n" % len(piece) + piece + b"\r\n" if framing == "chunked" else piece
    started, sent, note = time.monotonic(), 0, ""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head)
        try:
            while sent < mib * MIB and not select.select([sock], [], [], 0)[0]:
                sock.sendall(chunk)
                sent += len(piece)
            if sent >= mib * MIB:
                if framing == "chunked":
                    sock.sendall(b"0\r\n\r\n")
                elif framing == "negative":
                    sock.shutdown(socket.SHUT_WR)
        except OSError as error:
            note = f"server hung up while we sent ({type(error).__name__})"
        status = _status_line(sock)
    return Refusal(status, sent / MIB, time.monotonic() - started, note)


def _status_line(sock: socket.socket) -> int | None:
    data = b""
    try:
        while b"\r\n" not in data:
            more = sock.recv(4096)
            if not more:
                break
            data += more
    except OSError:
        pass
    parts = data.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
