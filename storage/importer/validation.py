"""Check one file's rows before anything is written: types, allowed values, references and
duplicate keys, each problem named by line and field in words an operator can act on.

Pydantic's error types become short sentences ("must be a whole number, got 'ten'") rather
than its generic "Input should be a valid integer, unable to parse string as an integer".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from storage.importer.csv_reader import CsvFile
from storage.importer.report import FileResult, RowError
from storage.importer.specs import PROVIDER_FILE, USERS, FileSpec, Target
from storage.importer.warnings import row_warnings

MAX_ECHO = 60  # characters of a bad value quoted back in a message
NUL_MESSAGE = "holds a NUL character (byte 0x00), which the database cannot store; remove it from the export"

MESSAGES = {
    "missing": "required value is missing",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "int_type": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "finite_number": "must be a finite number",
    "bool_parsing": "must be true or false",
    "date_from_datetime_inexact": "must be a date without a time of day",
}


@dataclass
class KnownIds:
    """User and account ids a row may refer to: the database's, plus those of files already
    imported in this run. Remembers rejected provider files, to say why an id is unknown."""

    ids: dict[str, set[str]]
    rejected_files: set[str] = field(default_factory=set)

    def unknown_message(self, kind: str, value: str) -> str:
        what = "user" if kind == USERS else "account"
        source = PROVIDER_FILE[kind]
        if source in self.rejected_files:
            return f"unknown {what} {value!r} (not in the database, and {source} was rejected)"
        return f"unknown {what} {value!r} (not in {source} or the database)"


@dataclass
class TableRows:
    """A file's valid rows for one of its tables."""

    target: Target
    # database column -> value, ready to upsert
    rows: list[dict[str, Any]] = field(default_factory=list)
    # the columns the file gives that this table has (a re-import updates only these)
    update_columns: list[str] = field(default_factory=list)


@dataclass
class ValidatedFile:
    tables: list[TableRows]  # one per table the file writes to (most files: one)

    @property
    def rows(self) -> list[dict[str, Any]]:
        return [row for part in self.tables for row in part.rows]


def validate_file(
    spec: FileSpec,
    csv_file: CsvFile,
    known: KnownIds,
    result: FileResult,
    *,
    today: date,
    rejected: Mapping[int, list[RowError]] | None = None,
) -> ValidatedFile:
    """Validate every record; problems and warnings go into `result`, valid rows into the return
    value. `today` is the import's date: what happened after it is warned about. `rejected`
    holds the lines already found bad before validation (an email Slack does not know)."""
    missing = [column for column in spec.required_columns if column not in csv_file.header]
    if spec.one_of and not any(column in csv_file.header for column in spec.one_of):
        missing.append(" or ".join(spec.one_of))
    if missing:
        header = ", ".join(column for column in csv_file.header if column) or "nothing"
        result.file_error = f"missing required column(s): {', '.join(missing)} (the header has: {header})"
        return ValidatedFile([])
    own_ids = _ids_in_file(spec, csv_file)
    given = [spec.db_column(column) for column in spec.columns if column in csv_file.header]
    given.extend(spec.derived)
    parts = {
        target: TableRows(
            target, update_columns=[c for c in given if c in target.column_names and c not in target.key]
        )
        for target in spec.targets
    }
    first_seen: dict[tuple[Target, tuple[Any, ...]], int] = {}
    for record in csv_file.records:
        result.rows_read += 1
        if rejected and record.line in rejected:
            result.errors.extend(rejected[record.line])
            continue
        nul = [name for name, value in record.values.items() if "\x00" in value]
        if nul:  # PostgreSQL refuses the whole file; SQLite would store it: name the cell instead
            result.errors.extend(RowError(spec.file, record.line, name, NUL_MESSAGE) for name in nul)
            continue
        try:
            row = spec.model.model_validate(record.values)
        except ValidationError as error:
            result.errors.extend(
                RowError(spec.file, record.line, _field(detail), _message(detail))
                for detail in error.errors()
            )
            continue
        values = row.model_dump()
        problem = _reference_problem(spec, values, known, own_ids)
        if problem is not None:
            result.errors.append(RowError(spec.file, record.line, *problem))
            continue
        target = spec.target_for(values)
        db_row = {
            column: value
            for name, value in values.items()
            if (column := spec.db_column(name)) in target.column_names
        }
        key = (target, tuple(db_row[column] for column in target.key))
        if key in first_seen:
            key_text = ", ".join(f"{column}={db_row[column]}" for column in target.key)
            message = f"duplicate of line {first_seen[key]} (same {key_text})"
            result.errors.append(RowError(spec.file, record.line, "/".join(target.key), message))
            continue
        first_seen[key] = record.line
        parts[target].rows.append(db_row)
        result.warnings.extend(
            RowError(spec.file, record.line, column, why)
            for column, why in row_warnings(spec, values, today=today)
        )
    return ValidatedFile(list(parts.values()))


def _ids_in_file(spec: FileSpec, csv_file: CsvFile) -> set[str]:
    if not spec.provides:
        return set()
    return {record.values.get(spec.id_column, "").strip() for record in csv_file.records} - {""}


def _reference_problem(
    spec: FileSpec, values: dict[str, Any], known: KnownIds, own_ids: set[str]
) -> tuple[str, str] | None:
    for column, kind in spec.refers_to.items():
        value = values.get(column)
        if value is None or value in known.ids[kind]:
            continue
        if kind == spec.provides and value in own_ids:
            continue  # e.g. a manager listed further down the same csms.csv
        return column, known.unknown_message(kind, value)
    return None


def _field(detail: ErrorDetails) -> str:
    location = [str(part) for part in detail["loc"]]
    return location[0] if location else "row"


def _message(detail: ErrorDetails) -> str:
    kind = detail["type"]
    context = detail.get("ctx") or {}
    if kind == "missing":
        return MESSAGES[kind]
    if kind == "value_error":
        return str(detail["msg"]).removeprefix("Value error, ")
    if kind in MESSAGES:
        text = MESSAGES[kind]
    elif kind in ("enum", "literal_error"):
        text = f"must be one of {context.get('expected', '')}"
    elif kind == "greater_than_equal":
        text = "must not be negative" if context.get("ge") == 0 else f"must be at least {context.get('ge')}"
    elif kind == "string_too_short":
        text = "must not be empty"
    elif kind == "string_too_long":
        return f"is longer than {context.get('max_length')} characters"
    elif kind.startswith(("date", "datetime")):
        reason = context.get("error")
        text = f"not a valid {'timestamp' if kind.startswith('datetime') else 'date'}" + (
            f" ({reason})" if reason else ""
        )
    else:
        text = str(detail["msg"])
    return f"{text}, got {_echo(detail.get('input'))}"


def _echo(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= MAX_ECHO else text[: MAX_ECHO - 4] + "…'"
