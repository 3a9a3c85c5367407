"""Read one import CSV: UTF-8 (a spreadsheet's BOM is fine), a header row, and each record
with the line it starts on in the file (the header being line 1), so a report can point at it.

Header names are trimmed and lower-cased; blank lines are skipped; a quoted cell may span
several lines, and the next record's line number still matches what an editor shows.

A file is streamed: `scan_csv` checks the whole file decodes as UTF-8 and counts its lines (a
progress total) reading 1 MiB at a time, then `open_csv` yields the records one by one, so a
12-million-row usage.csv never sits in memory. `read_csv` reads a small file whole (csms.csv,
whose people are looked up in Slack before validation).
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _csv import Reader

CHUNK_BYTES = 1 << 20


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


@dataclass(frozen=True)
class CsvStream:
    header: list[str]
    records: Iterator[CsvRecord]  # read as iterated; raises CsvFileError on a malformed record


def scan_csv(path: Path) -> int:
    """The number of lines in the file (an upper bound on its records, for a progress total),
    after checking every byte decodes as UTF-8. Raises CsvFileError."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    lines = offset = 0
    last = b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                raise _not_utf8(offset + error.start) from error
            lines += chunk.count(b"\n")
            offset += len(chunk)
            last = chunk
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as error:  # the file ends inside a multi-byte character
            raise _not_utf8(offset - len(last) + error.start) from error
    return lines + (1 if last and not last.endswith(b"\n") else 0)


@contextmanager
def open_csv(path: Path) -> Iterator[CsvStream]:
    """The header and a stream of records (call `scan_csv` first: it names a decoding problem
    by byte; here one would surface as a CsvFileError mid-stream)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        try:
            header, header_end = _header(reader)
        except (csv.Error, UnicodeDecodeError) as error:
            raise _malformed(reader, error) from error
        yield CsvStream(header, _guarded(reader, header, header_end))


def read_csv(path: Path) -> CsvFile:
    """A small file, whole."""
    scan_csv(path)
    with open_csv(path) as stream:
        return CsvFile(stream.header, list(stream.records))


def _guarded(reader: Reader, header: list[str], header_end: int) -> Iterator[CsvRecord]:
    try:
        yield from _records(reader, header, header_end)
    except (csv.Error, UnicodeDecodeError) as error:
        raise _malformed(reader, error) from error


def _header(reader: Reader) -> tuple[list[str], int]:
    for cells in reader:
        if any(cell.strip() for cell in cells):
            return [cell.strip().lower() for cell in cells], reader.line_num
    raise CsvFileError("the file is empty (no header row)")


def _records(reader: Reader, header: list[str], header_end: int) -> Iterator[CsvRecord]:
    previous_end = header_end
    named = [(index, name) for index, name in enumerate(header) if name]
    for cells in reader:
        start = previous_end + 1
        previous_end = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue  # a blank line (or a row of empty cells) is not a record
        count = len(cells)
        yield CsvRecord(start, {name: cells[index] if index < count else "" for index, name in named})


def _not_utf8(byte: int) -> CsvFileError:
    return CsvFileError(f"not UTF-8 text (byte {byte} cannot be decoded); export the file as CSV UTF-8")


def _malformed(reader: Reader, error: Exception) -> CsvFileError:
    if isinstance(error, UnicodeDecodeError):
        return CsvFileError("not UTF-8 text; export the file as CSV UTF-8")
    return CsvFileError(f"not a well-formed CSV (line {reader.line_num}: {error})")
