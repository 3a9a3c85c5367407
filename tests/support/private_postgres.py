"""A throw-away PostgreSQL cluster of the test's own, on a free local port, that the test may
stop and start (the machine's shared server must never be restarted under other tests).

`initdb` refuses to run as root: as root the cluster belongs to the `postgres` OS user and
its commands run through `runuser`. `private_postgres()` skips the test, saying why, when no
PostgreSQL binaries are installed or the cluster cannot be made.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.serve_process import free_port

BIN_GLOB = "/usr/lib/postgresql/*/bin"
OS_USER = "postgres"  # who owns the cluster when the tests run as root


@dataclass
class PrivatePostgres:
    bin_dir: Path
    data_dir: Path
    port: int
    as_user: list[str]  # the prefix that runs a command as the cluster's owner ([] if not root)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def pg_ctl(self, *args: str, timeout: float = 30) -> None:
        command = [
            *self.as_user,
            str(self.bin_dir / "pg_ctl"),
            "-D",
            str(self.data_dir),
            "-w",
            "-t",
            "20",
            *args,
        ]
        subprocess.run(command, check=True, capture_output=True, timeout=timeout)

    def start(self) -> None:
        self.pg_ctl("-l", str(self.data_dir / "server.log"), "start")

    def stop(self) -> None:
        """`pg_ctl stop -m fast`: open connections are cut, as in a restart or a failover."""
        self.pg_ctl("-m", "fast", "stop")


def _bin_dir() -> Path | None:
    found = sorted(glob.glob(BIN_GLOB), reverse=True)  # the newest major version first
    return Path(found[0]) if found and (Path(found[0]) / "initdb").exists() else None


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    bin_dir = _bin_dir()
    if bin_dir is None:
        pytest.skip(f"no PostgreSQL server binaries under {BIN_GLOB} to run a private cluster")
    as_user: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            pytest.skip("running as root and no `runuser` to run initdb as another user")
        as_user = ["runuser", "-u", OS_USER, "--"]
    base = Path(tempfile.mkdtemp(prefix="tandem-crash-pg-"))
    data_dir = base / "data"
    if as_user:
        shutil.chown(base, user=OS_USER)
    cluster = PrivatePostgres(bin_dir, data_dir, free_port(), as_user)
    try:
        made = subprocess.run(
            [*as_user, str(bin_dir / "initdb"), "-D", str(data_dir), "-U", "postgres", "--auth=trust",
             "--no-sync", "-E", "UTF8"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        if made.returncode != 0:
            pytest.skip(f"initdb could not make a private cluster: {made.stderr.strip()[-300:]}")
        with (data_dir / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nport = {cluster.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{base}'\n"
                "fsync = off\nshared_buffers = 16MB\nmax_connections = 40\n"
            )
        cluster.start()
        yield cluster
    finally:
        if (data_dir / "postmaster.pid").exists():
            subprocess.run(
                [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-m", "immediate", "-w", "stop"],
                capture_output=True, timeout=30,
            )  # fmt: skip
        shutil.rmtree(base, ignore_errors=True)
