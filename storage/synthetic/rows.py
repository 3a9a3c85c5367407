"""The rows of a synthetic book, gathered per table before one bulk write."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from storage import models


@dataclass
class BookRows:
    tables: dict[type[models.Base], list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, model: type[models.Base], row: dict[str, Any]) -> None:
        self.tables.setdefault(model, []).append(row)

    def extend(self, model: type[models.Base], rows: list[dict[str, Any]]) -> None:
        self.tables.setdefault(model, []).extend(rows)

    def of(self, model: type[models.Base]) -> list[dict[str, Any]]:
        return self.tables.get(model, [])

    def counts(self) -> dict[str, int]:
        return {model.__tablename__: len(rows) for model, rows in self.tables.items()}
