"""`import DIR`: each file streamed, checked and written in batches in one transaction, or not at all.

Files are read in dependency order (csms, accounts, then what hangs off accounts). A file with
any bad row writes nothing (its transaction is rolled back) and the report names every bad
row; the other files still land,
each in its own transaction. Rows are upserted on their natural key, so importing the same
export twice changes nothing. People csms.csv names by email are looked up in Slack through
the given `people` directory first (storage.importer.people), before any transaction.

A file is never held whole: records are read, checked and upserted `BATCH_ROWS` at a time
(storage.importer.batches), so a 12-million-row usage.csv imports in bounded memory; the
writing stops at the first bad row while the checking goes on to name every one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from storage import models
from storage.db import refresh_planner_statistics, transaction
from storage.importer.batches import BATCH_ROWS, BatchWriter
from storage.importer.csv_reader import CsvFileError, CsvRecord, CsvStream, open_csv, read_csv, scan_csv
from storage.importer.people import PeopleDirectory, PeopleLookupFailed, resolve_people
from storage.importer.report import FileResult, ImportReport
from storage.importer.specs import ACCOUNTS, IMPORT_FILES, SPECS, USERS, FileSpec
from storage.importer.validation import FileValidator, KnownIds, ids_in_file, missing_columns


def import_directory(
    session_factory: sessionmaker[Session],
    directory: Path,
    *,
    today: date | None = None,
    people: PeopleDirectory | None = None,
    progress: FileProgress | None = None,
) -> ImportReport:
    """Import the design's CSV files found in `directory` (file names are matched without
    regard to case); returns what happened to each, never raises for bad data. Rows dated
    after `today` (default: today in UTC) are imported with a warning. `people` looks up
    csms.csv's emails in Slack (without it, a row naming a person only by email is rejected).
    `progress` is told how far each file has got."""
    found = {path.name.lower(): path for path in sorted(directory.iterdir()) if path.is_file()}
    ignored = [
        path.name for name, path in found.items() if name.endswith(".csv") and name not in IMPORT_FILES
    ]
    return import_files(
        session_factory, found, ignored=ignored, today=today, people=people, progress=progress
    )


def import_file_as(
    session_factory: sessionmaker[Session],
    path: Path,
    *,
    kind: str,
    today: date | None = None,
    progress: FileProgress | None = None,
) -> ImportReport:
    """Import one file as the design's `kind` file (e.g. "outcomes.csv"), whatever its name."""
    if kind not in IMPORT_FILES:
        raise ValueError(f"unknown import file kind {kind!r}")
    return import_files(session_factory, {kind: path}, today=today, progress=progress)


def import_files(
    session_factory: sessionmaker[Session],
    found: dict[str, Path],
    *,
    ignored: list[str] | None = None,
    today: date | None = None,
    people: PeopleDirectory | None = None,
    progress: FileProgress | None = None,
    batch_rows: int = BATCH_ROWS,
) -> ImportReport:
    """Import the given files (design file name -> path), in dependency order."""
    report = ImportReport(ignored=ignored or [])
    today = today or datetime.now(UTC).date()
    with session_factory() as session:
        known = KnownIds(
            {
                USERS: set(session.scalars(select(models.User.slack_id))),
                ACCOUNTS: set(session.scalars(select(models.Account.account_id))),
            }
        )
    for spec in SPECS:
        path = found.get(spec.file)
        if path is None:
            continue
        result = _import_file(session_factory, spec, path, known, today, people, progress, batch_rows)
        report.files.append(result)
        if not result.ok:
            known.rejected_files.add(spec.file)
    if any(result.rows_written for result in report.files):
        with transaction(session_factory) as session:
            refresh_planner_statistics(session)
    return report


class FileProgress(Protocol):
    """Told how far each file has got (bot.progress draws it; storage knows no terminal): called
    with the file's name and its line count, it gives back `advance(records)`."""

    def __call__(self, file: str, *, total: int) -> AbstractContextManager[Callable[[int], None]]: ...


class _Rejected(Exception):
    """A bad row was found: roll the file's transaction back."""


def _import_file(
    session_factory: sessionmaker[Session],
    spec: FileSpec,
    path: Path,
    known: KnownIds,
    today: date,
    people: PeopleDirectory | None,
    progress: FileProgress | None = None,
    batch_rows: int = BATCH_ROWS,
) -> FileResult:
    result = FileResult(spec.file)
    try:
        lines = scan_csv(path)
        whole = read_csv(path) if spec.provides == USERS else None  # csms.csv: a few thousand people
    except CsvFileError as error:
        result.file_error = str(error)
        return result
    rejected = None
    if whole is not None:  # before validation and before any transaction
        try:
            resolved = resolve_people(whole, people, file=spec.file)
        except PeopleLookupFailed as error:
            result.file_error = f"could not look people up in Slack, nothing written: {error}"
            return result
        whole, rejected = resolved.file, resolved.problems

    @contextmanager
    def stream() -> Iterator[CsvStream]:
        if whole is not None:
            yield CsvStream(whole.header, iter(whole.records))
        else:
            with open_csv(path) as opened:
                yield opened

    def reread() -> Iterator[CsvRecord]:
        with stream() as again:
            yield from again.records

    own_ids: set[str] = set()
    if spec.provides and spec.provides in spec.refers_to.values():  # e.g. a manager further down
        own_ids = ids_in_file(spec, reread())
    try:
        with transaction(session_factory) as session, stream() as records:  # the whole file, or none
            result.file_error = missing_columns(spec, records.header)
            if result.file_error is not None:
                raise _Rejected
            validator = FileValidator(
                spec, records.header, known, result, today=today, rejected=rejected, own_ids=own_ids
            )
            writer = BatchWriter(session, validator.update_columns, batch_rows=batch_rows)
            if spec.provides:
                writer.remember(spec.db_column(spec.id_column))
            with progress(spec.file, total=max(lines - 1, 0)) if progress else nullcontext(None) as advance:
                _check_and_write(records.records, validator, writer, advance, result, every=batch_rows)
            validator.report_duplicates(reread)
            if not result.ok:
                raise _Rejected
            writer.flush()
    except _Rejected:  # rolled back: the file wrote nothing
        return result
    except CsvFileError as error:
        result.file_error = str(error)
        return result
    except SQLAlchemyError as error:  # rolled back: the file wrote nothing
        cause = getattr(error, "orig", None) or error
        result.file_error = f"the database refused the file, nothing written: {str(cause).splitlines()[0]}"
        return result
    result.rows_written = writer.written
    if spec.provides:
        known.ids[spec.provides].update(writer.ids(spec.db_column(spec.id_column)))
    return result


def _check_and_write(
    records: Iterable[CsvRecord],
    validator: FileValidator,
    writer: BatchWriter,
    advance: Callable[[int], None] | None,
    result: FileResult,
    *,
    every: int,
) -> None:
    """Check every record (so the report names every bad row); write the good ones in batches
    until the first bad one, after which the file is only checked (and will be rolled back)."""
    unreported = 0
    for record in records:
        checked = validator.check(record)
        if checked is not None and result.ok:
            writer.add(checked)
        unreported += 1
        if advance is not None and unreported >= every:
            advance(unreported)
            unreported = 0
    if advance is not None and unreported:
        advance(unreported)
