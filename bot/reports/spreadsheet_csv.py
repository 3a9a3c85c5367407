"""CSV that is safe to open in a spreadsheet: every CSV Tandem writes goes through `write_csv`.

OWASP's CSV-injection rule (https://owasp.org/www-community/attacks/CSV_Injection): no cell
may begin with `=`, `+`, `-`, `@`, tab (0x09), carriage return (0x0D) or line feed (0x0A),
or Excel and Sheets run it as a formula (`=HYPERLINK(...)` leaks data, `=cmd|...` runs DDE).
A text cell that does gets a single quote in front, which the spreadsheet shows as text.
Separators and quotes inside a cell cannot open a new cell: the csv module quotes such cells
and doubles their quotes (RFC 4180).

Only text is changed. Numbers are Tandem's own arithmetic (a 30-day change of -12) and stay
numbers; a quote would turn them into text. The rule is OWASP's list exactly: a leading `|`
or a full-width `＝` is not a formula on its own, and `=cmd|…` is caught by its `=`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(value: object) -> object:
    """`value`, with a leading `'` when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(rows: Iterable[Mapping[str, object]], fieldnames: Sequence[str]) -> str:
    """A header row, then one line per row, every text cell neutralised."""
    buffer = io.StringIO()
    write_csv_to(buffer, rows, fieldnames)
    return buffer.getvalue()


def write_csv_to(out: TextIO, rows: Iterable[Mapping[str, object]], fieldnames: Sequence[str]) -> int:
    """`write_csv` into `out` one row at a time (rows may be a generator: nothing is held);
    returns the number of rows written."""
    writer = csv.DictWriter(out, fieldnames=list(fieldnames), lineterminator="\n")
    writer.writeheader()
    written = 0
    for row in rows:
        writer.writerow({key: neutralise(value) for key, value in row.items()})
        written += 1
    return written
