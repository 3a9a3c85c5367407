"""Engines, sessions and schema upgrades. Nothing connects at import time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BEGIN_OPTION = "tandem_sqlite_begin"
CONNECT_TIMEOUT_SECONDS = 5


def make_engine(
    database_url: str, *, connect_timeout_seconds: int = CONNECT_TIMEOUT_SECONDS, **kwargs: Any
) -> Engine:
    """An engine with the settings Tandem relies on for each backend.

    PostgreSQL: a connection attempt gives up after `connect_timeout_seconds` (libpq waits
    forever by default, so a server that accepts and never answers hung /healthz for minutes),
    and the pool pings a connection before lending it out."""
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (below).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            # WAL lets the scheduler and Slack handlers read while a cycle writes.
            cursor.execute("PRAGMA journal_mode=WAL")
            # Under WAL, NORMAL syncs the log at checkpoints rather than at every commit: a commit
            # survives a crash of the process (what the log is there for) and only a power loss or
            # an OS crash can take back the last commits, never corrupt the file. FULL's fsync per
            # commit was a third of the cost of storing one message event.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection: Any) -> None:
            # Units of work that write (see `transaction`) take the write lock up front: a
            # deferred transaction that reads, then writes, fails with "database is locked"
            # when two clicks race, while an immediate one waits its turn (busy_timeout).
            # Read-only sessions stay deferred so they never hold the write lock.
            mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")
            connection.exec_driver_sql(f"BEGIN {mode}")

        return engine
    if database_url.startswith("postgresql"):
        connect_args = {"connect_timeout": connect_timeout_seconds, **kwargs.pop("connect_args", {})}
        return create_engine(database_url, pool_pre_ping=True, connect_args=connect_args, **kwargs)
    return create_engine(database_url, pool_pre_ping=True, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work that writes: commit on success, roll back on any error.

    On SQLite it begins IMMEDIATE (the option is ignored elsewhere)."""
    with factory() as session, session.begin():
        session.connection(execution_options={SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        yield session


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` with Alembic (idempotent)."""
    command.upgrade(alembic_config(engine), revision)


def refresh_planner_statistics(session: Session, table: str | None = None) -> None:
    """ANALYZE after a bulk load (of one table, or all of Tandem's), so the query planner knows
    the tables' sizes. SQLite keeps no statistics until asked, and PostgreSQL's autovacuum comes
    later than the next query: without them SQLite scans daily usage by day instead of by
    account, and PostgreSQL reads a whole day of snapshots to find one account's. A bare ANALYZE
    on PostgreSQL would visit every table of the database (other schemas' too) and can deadlock
    with whoever writes there, so the tables are named."""
    from storage.models import Base  # models import this module's neighbours, not the other way

    tables = [table] if table is not None else [t.name for t in Base.metadata.sorted_tables]
    for name in tables:
        if not name.isidentifier():
            raise ValueError(f"not a table name: {name!r}")
        session.execute(text(f"ANALYZE {name}"))
