"""storage.health: the /healthz probe gives up in seconds, and only the probe does."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from storage.db import make_session_factory
from storage.health import check_database, limit_statement_time
from tests.conftest import Database


def test_the_probe_passes_on_a_live_database(db: Database) -> None:
    check_database(db.session_factory, timeout_seconds=2)


@pytest.mark.parametrize("db", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_a_statement_over_the_limit_is_cancelled(db: Database) -> None:
    """PostgreSQL only: SQLite has no statement timeout."""
    started = time.monotonic()
    with db.session_factory() as session, pytest.raises(OperationalError, match="statement timeout"):
        limit_statement_time(session, 0.5)
        session.execute(text("SELECT pg_sleep(10)"))
    assert time.monotonic() - started < 3


def test_the_limit_ends_with_the_probe_transaction(db: Database) -> None:
    """The pooled connection the probe used goes back without the limit: the daily cycle's long
    reads on it later run under the server's default."""
    factory = make_session_factory(db.engine)
    before = _statement_timeout(factory)
    check_database(factory, timeout_seconds=1)
    with factory() as session:
        limit_statement_time(session, 1)
        session.rollback()
    assert _statement_timeout(factory) == before


def _statement_timeout(factory: object) -> str:
    with factory() as session:  # type: ignore[operator]
        if session.get_bind().dialect.name != "postgresql":
            return "n/a"
        return str(session.execute(text("SHOW statement_timeout")).scalar_one())
