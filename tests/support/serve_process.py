"""`python app.py serve` as a child process on a free local port, for tests and benchmarks.

The process is the real thing: settings from its environment, HTTP mode, Slack's Web API at
a stand-in. `proc_status` reads its thread count and resident memory (now and peak) from /proc (Linux).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
SECRET = "serve-test-secret"
START_SECONDS = (
    120  # imports, migrations and auth.test; a busy 2-core box has taken 40 s (imports alone 22-28 s)
)


@dataclass
class ServeProcess:
    process: subprocess.Popen[bytes]
    port: int
    log: Path  # its stdout and stderr (a file, not a pipe: a full pipe would stall the server)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def events_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def output(self) -> str:
        """Everything it logged so far."""
        return self.log.read_text(errors="replace")


@dataclass(frozen=True)
class ProcStatus:
    threads: int
    rss_mib: float  # resident memory now
    peak_mib: float  # the most it was ever resident (VmHWM)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthy(port: int, *, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


def proc_status(pid: int) -> ProcStatus:
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
    )
    return ProcStatus(
        threads=int(fields["Threads"]),
        rss_mib=int(fields["VmRSS"].split()[0]) / 1024,
        peak_mib=int(fields["VmHWM"].split()[0]) / 1024,
    )


def spawn_serve(
    workdir: Path, api_url: str, *, database_url: str, token: str, root: Path = ROOT, **env: str
) -> ServeProcess:
    """Start one `serve` (HTTP mode, no scheduler unless `env` says so) with its log in
    `workdir`, without waiting for it."""
    port = free_port()
    environ = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(root),
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
        "PORT": str(port),
        "TANDEM_SCHEDULER": "false",
        **env,
    }
    log = workdir / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, str(root / "app.py"), "serve"], cwd=workdir, env=environ,
            stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    return ServeProcess(process, port, log)


@contextmanager
def serve_process(workdir: Path, api_url: str, *, root: Path = ROOT, **env: str) -> Iterator[ServeProcess]:
    """Start `serve` with a SQLite database in `workdir`, wait for /healthz, stop it with SIGTERM.

    `root` is the checkout whose app.py runs (a benchmark may compare another revision)."""
    served = spawn_serve(
        workdir,
        api_url,
        database_url=f"sqlite:///{workdir / 'serve.db'}",
        token="xoxb-serve-test",
        root=root,
        **env,
    )
    process, port = served.process, served.port
    try:
        wait_for(lambda: healthy(port) or process.poll() is not None, timeout=START_SECONDS)
        if process.poll() is not None:
            raise RuntimeError(f"serve exited early:\n{served.output()}")
        yield served
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
