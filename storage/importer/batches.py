"""A file's valid rows, gathered into batches and upserted a batch at a time.

The importer holds at most one batch of rows per table (`BATCH_ROWS`), whatever the file's
size. A key seen twice within a batch stops the writing (the file holds a duplicate: the
validator names it and the transaction is rolled back), because PostgreSQL refuses an upsert
that touches one row twice in a statement.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from storage.importer.specs import Target
from storage.importer.upsert import upsert_rows
from storage.importer.validation import CheckedRow

BATCH_ROWS = 10_000


class BatchWriter:
    def __init__(
        self,
        session: Session,
        update_columns: dict[Target, list[str]],
        *,
        batch_rows: int = BATCH_ROWS,
    ) -> None:
        self.session, self.update_columns, self.batch_rows = session, update_columns, batch_rows
        self.written = 0
        self.targets = list(update_columns)  # in the spec's order: CheckedRow.target_index
        self._pending: list[list[dict[str, Any]]] = [[] for _ in self.targets]
        self._keys: list[set[tuple[Any, ...]]] = [set() for _ in self.targets]
        self._ids: dict[str, set[str]] = {}
        self._stopped = False

    def add(self, checked: CheckedRow) -> None:
        """Queue one checked row; a full batch is written."""
        if self._stopped:
            return
        index, row = checked.target_index, checked.row
        key = tuple(row[column] for column in checked.target.key)
        keys, pending = self._keys[index], self._pending[index]
        if key in keys:
            self._stopped = True  # a duplicate: the file will be rejected, write no more
            return
        keys.add(key)
        pending.append(row)
        if len(pending) >= self.batch_rows:
            self._write(index)

    def flush(self) -> None:
        for index in range(len(self.targets)):
            self._write(index)

    def ids(self, column: str) -> Iterator[str]:
        """The written rows' `column` values (a provider file's ids), gathered as rows were written."""
        return iter(self._ids.get(column, ()))

    def remember(self, column: str) -> None:
        """Gather `column`'s values of the rows written (accounts.csv's account ids)."""
        self._ids.setdefault(column, set())

    def _write(self, index: int) -> None:
        target, rows = self.targets[index], self._pending[index]
        if not rows or self._stopped:
            return
        upsert_rows(
            self.session, table=target.sa_table, key=target.key, rows=rows,
            update_columns=self.update_columns[target], batch_size=len(rows),
        )  # fmt: skip
        for column, seen in self._ids.items():
            seen.update(str(row[column]) for row in rows if column in row)
        self.written += len(rows)
        self._pending[index] = []
        self._keys[index] = set()
