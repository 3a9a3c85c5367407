"""Write many rows fast: PostgreSQL COPY through psycopg when that is the driver, otherwise
SQLAlchemy Core executemany in batches (SQLite and any other backend).

The rows hold plain Python values already in storage form (aware UTC datetimes, dates,
numbers, strings), so COPY needs none of the column types' bind processing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

INSERT_BATCH = 10_000  # rows per executemany call


def bulk_insert(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    connection = session.connection()
    has_json = any(isinstance(value, dict) for value in rows[0].values())  # COPY can't take a dict as-is
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg" and not has_json:
        _copy(connection.connection.driver_connection, table, rows)
        return
    for start in range(0, len(rows), INSERT_BATCH):
        session.execute(table.insert(), list(rows[start : start + INSERT_BATCH]))


def _copy(driver_connection: Any, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    from psycopg import sql

    columns = list(rows[0])
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(column) for column in columns)
    )
    with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row[column] for column in columns])
