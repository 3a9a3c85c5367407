"""What an import did, file by file, in words an operator can act on.

`ImportReport.render()` is what `python app.py import DIR` prints: a table of files (rows
read, written, rejected, and the outcome), then every problem with its file, line and field,
then the warnings about rows imported as given (a date in the future, more users than seats).
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_PROBLEMS_SHOWN = 50  # per file; the rest are counted


@dataclass(frozen=True)
class RowError:
    file: str
    line: int  # as in the file, the header being line 1
    field: str
    message: str

    def render(self) -> str:
        return f"{self.file} line {self.line}: {self.field}: {self.message}"


@dataclass
class FileResult:
    file: str
    rows_read: int = 0
    rows_written: int = 0  # inserted or updated; 0 when the file was rejected
    errors: list[RowError] = field(default_factory=list)
    file_error: str | None = None  # the whole file was unusable (missing column, encoding, …)
    warnings: list[RowError] = field(default_factory=list)  # imported as given, but odd (warnings.py)

    @property
    def ok(self) -> bool:
        return self.file_error is None and not self.errors

    @property
    def rows_rejected(self) -> int:
        return len({error.line for error in self.errors})

    @property
    def outcome(self) -> str:
        if self.file_error is not None:
            return f"rejected: {self.file_error}"
        if self.errors:
            return f"rejected, nothing written: {self.rows_rejected} bad row(s)"
        if self.warnings:
            return f"imported, {len(self.warnings)} warning(s)"
        return "imported"


@dataclass
class ImportReport:
    files: list[FileResult] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # CSV files in the directory we do not import

    @property
    def ok(self) -> bool:
        """True when at least one file was found and every file was imported."""
        return bool(self.files) and all(result.ok for result in self.files)

    def file(self, name: str) -> FileResult | None:
        return next((result for result in self.files if result.file == name), None)

    def render(self, max_problems_per_file: int = MAX_PROBLEMS_SHOWN) -> str:
        lines: list[str] = []
        if not self.files:
            lines.append(
                "No import files found (expected csms.csv, accounts.csv, usage.csv, tickets.csv, "
                "billing.csv, engagement.csv, context.csv, milestones.csv, feature_usage.csv, outcomes.csv)."
            )
        else:
            lines.extend(self._table())
        if self.ignored:
            lines.append(f"Ignored (not an import file): {', '.join(self.ignored)}")
        problems = [result for result in self.files if result.errors]
        if problems:
            lines.append("")
            lines.append("Rejected rows (fix them and import again; nothing from these files was written):")
        for result in problems:
            lines.extend(_listed(result.errors, result.file, "problem", max_problems_per_file))
        warned = [result for result in self.files if result.ok and result.warnings]
        if warned:
            lines.append("")
            lines.append("Warnings (imported as given; check them):")
        for result in warned:
            lines.extend(_listed(result.warnings, result.file, "warning", max_problems_per_file))
        lines.append("")
        lines.append(self._verdict())
        return "\n".join(lines)

    def _table(self) -> list[str]:
        header = ("file", "read", "written", "rejected", "outcome")
        body = [
            (r.file, str(r.rows_read), str(r.rows_written), str(r.rows_rejected), r.outcome)
            for r in self.files
        ]
        widths = [max(len(row[i]) for row in (header, *body)) for i in range(4)]

        def line(cells: tuple[str, ...]) -> str:
            name, *numbers, outcome = cells
            right = "  ".join(cell.rjust(width) for cell, width in zip(numbers, widths[1:], strict=True))
            return f"{name.ljust(widths[0])}  {right}  {outcome}"

        return [line(header), *(line(row) for row in body)]

    def _verdict(self) -> str:
        if not self.files:
            return "Nothing imported."
        written = sum(result.rows_written for result in self.files)
        rejected = [result.file for result in self.files if not result.ok]
        if not rejected:
            return f"Import complete: {written} row(s) written from {len(self.files)} file(s)."
        return (
            f"Import finished with {len(rejected)} rejected file(s) ({', '.join(rejected)}); "
            f"{written} row(s) written from the others. Fix the rejected files and import them again."
        )


def _listed(rows: list[RowError], file: str, noun: str, limit: int) -> list[str]:
    lines = [f"  {row.render()}" for row in rows[:limit]]
    if len(rows) > limit:
        lines.append(f"  … and {len(rows) - limit} more {noun}(s) in {file}")
    return lines
