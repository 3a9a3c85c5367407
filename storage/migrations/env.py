"""Alembic environment: the engine comes from storage.db.upgrade (or DATABASE_URL)."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection, Engine

from storage.db import make_engine
from storage.models import Base

config = context.config
target_metadata = Base.metadata


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine
    return make_engine(os.environ.get("DATABASE_URL", "sqlite:///tandem.db"))


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    # APScheduler owns its job table; Alembic must neither create nor drop it.
    return not (type_ == "table" and name == "scheduler_jobs")


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _sqlite_foreign_keys(connection, on=False)
        try:
            with connection.begin():
                context.configure(
                    connection=connection,
                    target_metadata=target_metadata,
                    render_as_batch=sqlite,
                    compare_type=True,
                    include_object=include_object,
                )
                before = context.get_context().get_current_heads()
                context.run_migrations()
                # Only a migration can break a reference; the check reads every table with a
                # foreign key (about 4 s at 100,000 accounts), so an up-to-date schema skips it.
                if sqlite and context.get_context().get_current_heads() != before:
                    _check_references(connection)
        finally:
            if sqlite:
                _sqlite_foreign_keys(connection, on=True)


def _sqlite_foreign_keys(connection: Connection, *, on: bool) -> None:
    """SQLite alters most columns by rebuilding the table (batch mode): copy, drop, rename. With
    foreign keys enforced, dropping a table other rows refer to fails, and the pragma is a no-op
    inside a transaction; so it is set on the driver's connection before the migration begins
    (SQLite's own procedure for altering a table), and the references are checked after."""
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _check_references(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(f"the migration left rows referring to nothing: {broken[:5]}")


run_migrations_online()
