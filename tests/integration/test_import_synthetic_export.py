"""The two halves of "data in" agree: a synthetic book written out in the design's CSV format
imports cleanly, row for row, and importing it again changes nothing."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, select

from storage import models
from storage.importer import import_directory
from storage.importer.specs import SPECS
from storage.synthetic import build_rows
from tests.conftest import Database

AS_OF = date(2026, 3, 2)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _write_export(directory: Path, accounts: int) -> dict[str, int]:
    """Every table of a synthetic book as the import file that feeds it; returns rows per file."""
    book = build_rows(accounts=accounts, seed=9, as_of=AS_OF, days=120).rows
    written = {}
    for spec in SPECS:
        rows = book.of(spec.table)
        columns = [column for column in spec.columns if not rows or spec.db_column(column) in rows[0]]
        with (directory / spec.file).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            writer.writerows([_cell(row[spec.db_column(column)]) for column in columns] for row in rows)
        written[spec.file] = len(rows)
    return written


def test_a_synthetic_book_round_trips_through_the_importer(db: Database, tmp_path: Path) -> None:
    expected = _write_export(tmp_path, accounts=40)

    report = import_directory(db.session_factory, tmp_path)
    again = import_directory(db.session_factory, tmp_path)

    assert report.ok, report.render()
    assert {result.file: result.rows_written for result in report.files} == expected
    assert again.ok and {result.file: result.rows_written for result in again.files} == expected
    with db.session_factory() as session:
        for spec in SPECS:
            stored = session.scalar(select(func.count()).select_from(spec.table))
            assert stored == expected[spec.file], spec.file
        whale = session.get(models.Account, "ACC-WHALE")
        frustrated = session.scalars(
            select(models.Ticket).where(models.Ticket.body.contains("losing patience"))
        ).first()
    assert whale is not None and whale.segment == "enterprise"
    assert frustrated is not None and frustrated.opened_at.tzinfo is not None
