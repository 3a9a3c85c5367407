"""Portable upserts: INSERT … ON CONFLICT (natural key) DO UPDATE, for SQLite and PostgreSQL.

Rows go in batches of `BATCH` per statement. Only the columns the import file gave are
updated on conflict, so an export without an optional column never blanks what is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

BATCH = 1000


def upsert_rows(
    session: Session,
    *,
    table: Table,
    key: Sequence[str],
    rows: Sequence[dict[str, Any]],
    update_columns: Sequence[str],
    batch_size: int = BATCH,
) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        insert: Any = postgresql.insert
    elif dialect == "sqlite":
        insert = sqlite.insert
    else:
        raise NotImplementedError(f"upsert is implemented for SQLite and PostgreSQL, not {dialect}")
    statement = insert(table)
    updates = {column: statement.excluded[column] for column in update_columns if column not in key}
    if updates:
        statement = statement.on_conflict_do_update(index_elements=list(key), set_=updates)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(key))
    for start in range(0, len(rows), batch_size):
        session.execute(statement, list(rows[start : start + batch_size]))
