"""Portable bulk inserts that skip rows already there: `INSERT ... ON CONFLICT DO NOTHING`.

On PostgreSQL and SQLite a row that collides with a unique key is skipped rather than
raising, so a rerun or two racing runs write each keyed row once without a SAVEPOINT per
row. Rows go in as one executemany per chunk.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Insert, Table, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

CHUNK = 1_000


def insert_ignoring_duplicates(session: Session, table: Table, key: Sequence[str]) -> Insert:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=list(key))
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=list(key))
    return insert(table)  # elsewhere the unique constraint raises on a duplicate


def insert_many(session: Session, table: Table, key: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    statement = insert_ignoring_duplicates(session, table, key)
    connection = session.connection()
    for start in range(0, len(rows), CHUNK):
        connection.execute(statement, list(rows[start : start + CHUNK]))
