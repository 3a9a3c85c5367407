"""`import` streams a large file in batches, on SQLite and PostgreSQL: the importer never holds
more than one batch of rows, a bad or duplicate row found after many batches were written still
leaves nothing of the file stored (one transaction), and progress is reported as it goes.

Batches of 400 over a 10,000-row usage.csv stand in for 10,000 over 12 million (the
benchmark, tests/benchmarks/bench_import.py, measures the real size)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.progress import import_file_progress
from storage import models
from storage.importer import batches
from storage.importer.loader import import_files
from tests.conftest import Database

ROWS, BATCH, ACCOUNTS = 10_000, 400, 100
TODAY = date(2026, 3, 2)


def _export(directory: Path, *, last_line: str | None = None) -> dict[str, Path]:
    (directory / "csms.csv").write_text("slack_id,name,role\nU0CSM1,Ana,csm\n")
    (directory / "accounts.csv").write_text(
        "account_id,name,segment,arr,owner_slack_id,renewal_date\n"
        + "".join(f"A-{i},Account {i},smb,1000,U0CSM1,2026-09-30\n" for i in range(ACCOUNTS))
    )
    days = [(TODAY - timedelta(days=d)).isoformat() for d in range(ROWS // ACCOUNTS)]
    lines = [f"A-{i},{day},{d % 9},10\n" for i in range(ACCOUNTS) for d, day in enumerate(days)]
    if last_line is not None:
        lines[-1] = last_line
    (directory / "usage.csv").write_text("account_id,date,active_users,licensed_seats\n" + "".join(lines))
    return {name: directory / name for name in ("csms.csv", "accounts.csv", "usage.csv")}


def _usage_rows(db: Database) -> int:
    with db.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(models.UsageDaily)) or 0)


@pytest.fixture
def written_batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every batch the importer writes (the hook: its one call to the database)."""
    sizes: list[int] = []
    upsert = batches.upsert_rows

    def counting(session: Any, *, rows: Sequence[dict[str, Any]], **kwargs: Any) -> None:
        sizes.append(len(rows))
        upsert(session, rows=rows, **kwargs)

    monkeypatch.setattr(batches, "upsert_rows", counting)
    return sizes


def test_a_large_file_is_written_one_batch_at_a_time(
    db: Database, tmp_path: Path, written_batches: list[int]
) -> None:
    report = import_files(db.session_factory, _export(tmp_path), today=TODAY, batch_rows=BATCH)

    assert report.ok, report.render()
    usage = report.file("usage.csv")
    assert usage is not None and (usage.rows_read, usage.rows_written) == (ROWS, ROWS)
    assert max(written_batches) == BATCH  # never more than one batch held
    assert written_batches.count(BATCH) >= ROWS // BATCH  # usage.csv went in 25 batches
    assert _usage_rows(db) == ROWS


def test_a_bad_last_row_after_many_written_batches_leaves_nothing_of_the_file(
    db: Database, tmp_path: Path, written_batches: list[int]
) -> None:
    files = _export(tmp_path, last_line="A-1,2026-02-30,1,10\n")

    report = import_files(db.session_factory, files, today=TODAY, batch_rows=BATCH)

    usage = report.file("usage.csv")
    assert usage is not None and not usage.ok
    assert [(e.line, e.field) for e in usage.errors] == [(ROWS + 1, "date")]
    assert sum(written_batches) > 2 * BATCH  # batches had been written before the bad row
    assert _usage_rows(db) == 0  # and were rolled back with it
    assert report.file("accounts.csv") is not None and report.ok is False


def test_a_duplicate_far_from_its_first_line_is_named_and_nothing_is_written(
    db: Database, tmp_path: Path, written_batches: list[int]
) -> None:
    first_day = TODAY.isoformat()
    files = _export(tmp_path, last_line=f"A-0,{first_day},5,10\n")  # line 2 holds A-0 on that day

    report = import_files(db.session_factory, files, today=TODAY, batch_rows=BATCH)

    usage = report.file("usage.csv")
    assert usage is not None
    assert [(e.line, e.message) for e in usage.errors] == [
        (ROWS + 1, f"duplicate of line 2 (same account_id=A-0, day={first_day})")
    ]
    assert _usage_rows(db) == 0


def test_each_file_reports_its_progress_against_its_line_count(sqlite_db: Database, tmp_path: Path) -> None:
    told: dict[str, list[int]] = {}
    totals: dict[str, int] = {}

    @contextmanager
    def progress(file: str, *, total: int) -> Iterator[Callable[[int], None]]:
        totals[file] = total
        yield told.setdefault(file, []).append

    report = import_files(
        sqlite_db.session_factory, _export(tmp_path), today=TODAY, batch_rows=BATCH, progress=progress
    )

    assert report.ok
    assert totals == {"csms.csv": 1, "accounts.csv": ACCOUNTS, "usage.csv": ROWS}
    assert sum(told["usage.csv"]) == ROWS and max(told["usage.csv"]) == BATCH


def test_off_a_terminal_the_import_logs_plain_progress_lines(
    sqlite_db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tandem.progress")

    report = import_files(
        sqlite_db.session_factory,
        _export(tmp_path),
        today=TODAY,
        batch_rows=BATCH,
        progress=import_file_progress,
    )

    assert report.ok
    lines = [record.getMessage() for record in caplog.records]
    assert any(line.startswith(f"import usage.csv: done, {ROWS:,} rows in ") for line in lines), lines
