"""Check one file's rows as they are read: types, allowed values, references and
duplicate keys, each problem named by line and field in words an operator can act on.

Pydantic's error types become short sentences ("must be a whole number, got 'ten'") rather
than its generic "Input should be a valid integer, unable to parse string as an integer".
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from storage.importer.csv_reader import CsvRecord
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


@dataclass(frozen=True)
class CheckedRow:
    """One valid row, ready to upsert into its table."""

    target: Target
    row: dict[str, Any]  # database column -> value
    target_index: int  # the target's place in the spec's targets (cheaper to key on)


class FileValidator:
    """Checks a file's records one at a time, so the file can be streamed: problems and
    warnings go into `result`, each valid row comes back to be written.

    Duplicate keys are the one check that needs the whole file: each valid row's key is kept as
    a 64-bit hash beside its line (12 bytes a row, not the row), and `duplicates` finds equal
    hashes at the end and confirms them on the rows themselves, re-read from the file."""

    def __init__(
        self,
        spec: FileSpec,
        header: list[str],
        known: KnownIds,
        result: FileResult,
        *,
        today: date,
        rejected: Mapping[int, list[RowError]] | None = None,
        own_ids: set[str] | None = None,
    ) -> None:
        self.spec, self.known, self.result, self.today = spec, known, result, today
        self.rejected = rejected or {}
        self.own_ids = own_ids or set()
        self.targets = list(spec.targets)
        given = [spec.db_column(column) for column in spec.columns if column in header]
        given.extend(spec.derived)
        # per table: the columns the file gives that it has (a re-import updates only these)
        self.update_columns = {
            target: [c for c in given if c in target.column_names and c not in target.key]
            for target in self.targets
        }
        self._columns: dict[int, list[tuple[str, str]]] = {}  # per target: (CSV name, database column)
        self._key_hashes = array("q")
        self._key_lines = array("i")  # a line number fits 32 bits

    def check(self, record: CsvRecord) -> CheckedRow | None:
        """The record's row when it is valid (its problems are in `result` otherwise)."""
        self.result.rows_read += 1
        checked = self._row(record, report=True)
        if checked is not None:
            key = tuple(checked.row[column] for column in checked.target.key)
            self._key_hashes.append(hash((checked.target_index, key)))
            self._key_lines.append(record.line)
        return checked

    def report_duplicates(self, reread: Callable[[], Iterable[CsvRecord]]) -> None:
        """Name every row whose key an earlier row of the file already had; `reread` streams the
        file again, read only when two keys hash alike."""
        candidates = _equal_hash_lines(self._key_hashes, self._key_lines)
        if not candidates:
            return
        first_seen: dict[tuple[Target, tuple[Any, ...]], int] = {}
        for record in reread():
            if record.line not in candidates:
                continue
            checked = self._row(record, report=False)
            assert checked is not None  # it was valid the first time
            target, db_row = checked.target, checked.row
            key = (target, tuple(db_row[column] for column in target.key))
            if key in first_seen:
                key_text = ", ".join(f"{column}={db_row[column]}" for column in target.key)
                message = f"duplicate of line {first_seen[key]} (same {key_text})"
                self.result.errors.append(
                    RowError(self.spec.file, record.line, "/".join(target.key), message)
                )
            else:
                first_seen[key] = record.line
        self.result.errors.sort(key=lambda error: error.line)  # stable: a line's own order kept

    def _row(self, record: CsvRecord, *, report: bool) -> CheckedRow | None:
        spec, result = self.spec, self.result
        if record.line in self.rejected:
            if report:
                result.errors.extend(self.rejected[record.line])
            return None
        nul = [name for name, value in record.values.items() if "\x00" in value]
        if nul:  # PostgreSQL refuses the whole file; SQLite would store it: name the cell instead
            if report:
                result.errors.extend(RowError(spec.file, record.line, name, NUL_MESSAGE) for name in nul)
            return None
        try:
            row = spec.model.model_validate(record.values)
        except ValidationError as error:
            if report:
                result.errors.extend(
                    RowError(spec.file, record.line, _field(detail), _message(detail))
                    for detail in error.errors()
                )
            return None
        values = row.model_dump()
        problem = _reference_problem(spec, values, self.known, self.own_ids)
        if problem is not None:
            if report:
                result.errors.append(RowError(spec.file, record.line, *problem))
            return None
        index = 0 if not spec.routes else self.targets.index(spec.target_for(values))
        target = self.targets[index]
        columns = self._columns.get(index)
        if columns is None:  # every row of a model dumps the same names
            columns = self._columns[index] = [
                (name, column) for name in values if (column := spec.db_column(name)) in target.column_names
            ]
        db_row = {column: values[name] for name, column in columns}
        if report:
            result.warnings.extend(
                RowError(spec.file, record.line, column, why)
                for column, why in row_warnings(spec, values, today=self.today)
            )
        return CheckedRow(target, db_row, index)


def missing_columns(spec: FileSpec, header: list[str]) -> str | None:
    """Why the header cannot be imported, or None."""
    missing = [column for column in spec.required_columns if column not in header]
    if spec.one_of and not any(column in header for column in spec.one_of):
        missing.append(" or ".join(spec.one_of))
    if not missing:
        return None
    given = ", ".join(column for column in header if column) or "nothing"
    return f"missing required column(s): {', '.join(missing)} (the header has: {given})"


def ids_in_file(spec: FileSpec, records: Iterable[CsvRecord]) -> set[str]:
    """The ids a provider file adds, for rows that refer to others further down the same file."""
    return {record.values.get(spec.id_column, "").strip() for record in records} - {""}


def _equal_hash_lines(hashes: array[int], lines: array[int]) -> set[int]:
    """The lines whose key hash another line shares (real duplicates, or a rare collision)."""
    if len(hashes) < 2:
        return set()
    keys = np.frombuffer(hashes, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        return set()
    shared = np.zeros(len(keys), dtype=bool)
    shared[1:] |= same
    shared[:-1] |= same
    return set(np.frombuffer(lines, dtype=np.int32)[order[shared]].tolist())


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
