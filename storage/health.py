"""The database half of `/healthz`: one trivial query that gives up within seconds.

A probe that hangs is worse than one that fails: the load balancer marks the replica down
only when it gets an answer. Connecting is bounded by the engine's connect timeout
(storage/db.py); the query by a statement timeout scoped to the probe's own transaction, so
the daily cycle's long reads on other connections keep PostgreSQL's default (none).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker


def check_database(session_factory: sessionmaker[Session], *, timeout_seconds: float) -> None:
    """Returns when the database answers `SELECT 1`; raises when it cannot or will not."""
    with session_factory() as session:
        limit_statement_time(session, timeout_seconds)
        session.execute(text("SELECT 1"))


def limit_statement_time(session: Session, seconds: float) -> None:
    """On PostgreSQL, cancel any statement of the session's current transaction that runs longer
    than `seconds` (SET LOCAL: the connection goes back to the pool without it). SQLite has no
    such setting; its busy_timeout already bounds the wait for a lock."""
    if session.get_bind().dialect.name == "postgresql":
        milliseconds = max(1, round(seconds * 1000))
        session.execute(text("SELECT set_config('statement_timeout', :ms, true)"), {"ms": str(milliseconds)})
