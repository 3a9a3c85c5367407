"""Read one import CSV: UTF-8 (a spreadsheet's BOM is fine), a header row, and each record
with the line it starts on in the file (the header being line 1), so a report can point at it.

Header names are trimmed and lower-cased; blank lines are skipped; a quoted cell may span
several lines, and the next record's line number still matches what an editor shows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _csv import Reader


class CsvFileError(ValueError):
    """The file cannot be read as a CSV with a header row (the message says why)."""


@dataclass(frozen=True)
class CsvRecord:
    line: int  # where the record starts in the file; the header is line 1
    values: dict[str, str]  # column name -> cell text, for the header's columns


@dataclass(frozen=True)
class CsvFile:
    header: list[str]
    records: list[CsvRecord]


def read_csv(path: Path) -> CsvFile:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CsvFileError(
            f"not UTF-8 text (byte {error.start} cannot be decoded); export the file as CSV UTF-8"
        ) from error
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header, header_end = _header(reader)
        records = list(_records(reader, header, header_end))
    except csv.Error as error:
        raise CsvFileError(f"not a well-formed CSV (line {reader.line_num}: {error})") from error
    return CsvFile(header, records)


def _header(reader: Reader) -> tuple[list[str], int]:
    for cells in reader:
        if any(cell.strip() for cell in cells):
            return [cell.strip().lower() for cell in cells], reader.line_num
    raise CsvFileError("the file is empty (no header row)")


def _records(reader: Reader, header: list[str], header_end: int) -> list[CsvRecord]:
    records = []
    previous_end = header_end
    for cells in reader:
        start = previous_end + 1
        previous_end = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue  # a blank line (or a row of empty cells) is not a record
        values = {
            name: cells[index] if index < len(cells) else "" for index, name in enumerate(header) if name
        }
        records.append(CsvRecord(start, values))
    return records
