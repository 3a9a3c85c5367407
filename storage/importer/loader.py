"""`import DIR`: validate each file whole, then write it in one transaction, or not at all.

A file with any bad row writes nothing and the report names every bad row; the other files
still land. Rows are upserted on their natural key, so importing the same export twice
changes nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from storage import models
from storage.importer.report import FileResult, ImportReport, RowError
from storage.importer.specs import ACCOUNTS, SPECS, USERS, FileSpec

BATCH = 1000


def import_directory(session_factory: sessionmaker[Session], directory: Path) -> ImportReport:
    report = ImportReport()
    with session_factory() as session:
        known = {
            USERS: set(session.scalars(select(models.User.slack_id))),
            ACCOUNTS: set(session.scalars(select(models.Account.account_id))),
        }
    for spec in SPECS:
        path = directory / spec.file
        if not path.exists():
            continue
        result, valid = _validate(spec, path, known)
        report.files.append(result)
        if not result.ok:
            continue
        with session_factory() as session, session.begin():
            _upsert(session, spec, valid)
        result.rows_written = len(valid)
        if spec.provides:
            known[spec.provides].update(str(row[spec.id_field]) for row in valid)
    return report


def _read(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    text = path.read_bytes().decode("utf-8-sig")  # a BOM from a spreadsheet export is fine
    reader = csv.DictReader(io.StringIO(text, newline=""))
    line = 1
    for record in reader:
        yield line + 1, {(key or "").strip(): value for key, value in record.items() if key}
        line = reader.line_num
    if reader.fieldnames is None:
        raise ValueError("the file is empty (no header row)")


def _header(path: Path) -> list[str]:
    first = path.read_bytes().decode("utf-8-sig").splitlines()[:1]
    return [column.strip() for column in next(csv.reader(first), [])] if first else []


def _validate(
    spec: FileSpec, path: Path, known: dict[str, set[str]]
) -> tuple[FileResult, list[dict[str, Any]]]:
    result = FileResult(spec.file)
    try:
        header = _header(path)
    except UnicodeDecodeError:
        result.file_error = "not UTF-8 text"
        return result, []
    missing = [column for column in spec.required_columns if column not in header]
    if missing:
        result.file_error = (
            f"missing required column(s): {', '.join(missing)} (header has: {', '.join(header) or 'nothing'})"
        )
        return result, []
    own_ids = _ids_in_file(spec, path) if spec.provides else set()
    valid: list[dict[str, Any]] = []
    seen: dict[tuple[Any, ...], int] = {}
    for line, record in _read(path):
        result.rows_read += 1
        try:
            row = spec.model.model_validate(record)
        except ValidationError as error:
            result.errors.extend(RowError(spec.file, line, _field(e), _message(e)) for e in error.errors())
            continue
        values = row.model_dump()
        problem = _reference_problem(spec, values, known, own_ids)
        if problem:
            result.errors.append(RowError(spec.file, line, *problem))
            continue
        db_row = {spec.renames.get(name, name): value for name, value in values.items()}
        key = tuple(db_row[column] for column in spec.key)
        if key in seen:
            result.errors.append(
                RowError(spec.file, line, ", ".join(spec.key), f"duplicate of line {seen[key]}")
            )
            continue
        seen[key] = line
        valid.append(db_row)
    return result, valid


def _ids_in_file(spec: FileSpec, path: Path) -> set[str]:
    return {record.get(spec.id_field, "").strip() for _, record in _read(path)} - {""}


def _reference_problem(
    spec: FileSpec, values: dict[str, Any], known: dict[str, set[str]], own_ids: set[str]
) -> tuple[str, str] | None:
    for column, kind in spec.refers_to.items():
        value = values.get(column)
        if value is None:
            continue
        if value in known[kind] or (kind == spec.provides and value in own_ids):
            continue
        what = (
            "user (not in csms.csv or the database)"
            if kind == USERS
            else "account (not in accounts.csv or the database)"
        )
        return column, f"unknown {what}: {value!r}"
    return None


def _field(error: Any) -> str:
    return ".".join(str(part) for part in error["loc"]) or "row"


def _message(error: Any) -> str:
    if error["type"] == "missing":
        return "required value is missing"
    message = str(error["msg"]).removeprefix("Value error, ")
    if "input" in error and not isinstance(error["input"], dict):
        return f"{message}, got {error['input']!r}"
    return message


def _upsert(session: Session, spec: FileSpec, rows: list[dict[str, Any]]) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        statement = insert(spec.table)
        updates = {c: statement.excluded[c] for c in batch[0] if c not in spec.key}
        if updates:
            statement = statement.on_conflict_do_update(index_elements=list(spec.key), set_=updates)
        else:
            statement = statement.on_conflict_do_nothing(index_elements=list(spec.key))
        session.execute(statement, batch)
