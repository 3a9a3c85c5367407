"""Cross-process locks, so that of several `serve` replicas only one runs a scheduled job.

PostgreSQL advisory locks are held by a connection and vanish with it, so a crashed replica
never leaves a job locked. SQLite serves one host, where the scheduler's own
`max_instances=1` is enough, so the lock is always granted there.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

DAILY_CYCLE_LOCK = "daily-cycle"  # the scheduler's job and the `cycle` command share it


@contextmanager
def try_job_lock(engine: Engine, name: str) -> Iterator[bool]:
    """Yield True when this process holds the lock named `name` (never waits)."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    key = zlib.crc32(f"tandem:{name}".encode())
    with engine.connect() as connection:
        held = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar())
        connection.commit()  # the lock belongs to the connection, not to this transaction
        try:
            yield held
        finally:
            if held:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()
