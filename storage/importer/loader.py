"""`import DIR`: validate each file whole, then write it in one transaction, or not at all.

Files are read in dependency order (csms, accounts, then what hangs off accounts). A file with
any bad row writes nothing and the report names every bad row; the other files still land,
each in its own transaction. Rows are upserted on their natural key, so importing the same
export twice changes nothing. People csms.csv names by email are looked up in Slack through
the given `people` directory first (storage.importer.people), before any transaction.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from storage import models
from storage.db import refresh_planner_statistics, transaction
from storage.importer.csv_reader import CsvFileError, read_csv
from storage.importer.people import PeopleDirectory, PeopleLookupFailed, resolve_people
from storage.importer.report import FileResult, ImportReport
from storage.importer.specs import ACCOUNTS, IMPORT_FILES, SPECS, USERS, FileSpec
from storage.importer.upsert import upsert_rows
from storage.importer.validation import KnownIds, validate_file


def import_directory(
    session_factory: sessionmaker[Session],
    directory: Path,
    *,
    today: date | None = None,
    people: PeopleDirectory | None = None,
) -> ImportReport:
    """Import the design's CSV files found in `directory` (file names are matched without
    regard to case); returns what happened to each, never raises for bad data. Rows dated
    after `today` (default: today in UTC) are imported with a warning. `people` looks up
    csms.csv's emails in Slack (without it, a row naming a person only by email is rejected)."""
    found = {path.name.lower(): path for path in sorted(directory.iterdir()) if path.is_file()}
    ignored = [
        path.name for name, path in found.items() if name.endswith(".csv") and name not in IMPORT_FILES
    ]
    return import_files(session_factory, found, ignored=ignored, today=today, people=people)


def import_file_as(
    session_factory: sessionmaker[Session], path: Path, *, kind: str, today: date | None = None
) -> ImportReport:
    """Import one file as the design's `kind` file (e.g. "outcomes.csv"), whatever its name."""
    if kind not in IMPORT_FILES:
        raise ValueError(f"unknown import file kind {kind!r}")
    return import_files(session_factory, {kind: path}, today=today)


def import_files(
    session_factory: sessionmaker[Session],
    found: dict[str, Path],
    *,
    ignored: list[str] | None = None,
    today: date | None = None,
    people: PeopleDirectory | None = None,
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
        result = _import_file(session_factory, spec, path, known, today, people)
        report.files.append(result)
        if not result.ok:
            known.rejected_files.add(spec.file)
    if any(result.rows_written for result in report.files):
        with transaction(session_factory) as session:
            refresh_planner_statistics(session)
    return report


def _import_file(
    session_factory: sessionmaker[Session],
    spec: FileSpec,
    path: Path,
    known: KnownIds,
    today: date,
    people: PeopleDirectory | None,
) -> FileResult:
    result = FileResult(spec.file)
    try:
        csv_file = read_csv(path)
    except CsvFileError as error:
        result.file_error = str(error)
        return result
    rejected = None
    if spec.provides == USERS:  # before validation and before any transaction
        try:
            resolved = resolve_people(csv_file, people, file=spec.file)
        except PeopleLookupFailed as error:
            result.file_error = f"could not look people up in Slack, nothing written: {error}"
            return result
        csv_file, rejected = resolved.file, resolved.problems
    validated = validate_file(spec, csv_file, known, result, today=today, rejected=rejected)
    if not result.ok:
        return result
    try:
        with transaction(session_factory) as session:  # every table of the file, or none
            for part in validated.tables:
                upsert_rows(
                    session,
                    table=part.target.sa_table,
                    key=part.target.key,
                    rows=part.rows,
                    update_columns=part.update_columns,
                )
    except SQLAlchemyError as error:  # rolled back: the file wrote nothing
        cause = getattr(error, "orig", None) or error
        result.file_error = f"the database refused the file, nothing written: {str(cause).splitlines()[0]}"
        return result
    result.rows_written = len(validated.rows)
    if spec.provides:
        known.ids[spec.provides].update(str(row[spec.db_column(spec.id_column)]) for row in validated.rows)
    return result
