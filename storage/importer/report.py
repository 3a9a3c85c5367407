"""What an import did, file by file, in words an operator can act on."""

from __future__ import annotations

from dataclasses import dataclass, field


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
    rows_written: int = 0
    errors: list[RowError] = field(default_factory=list)
    file_error: str | None = None  # the whole file was unusable (missing column, bad encoding)

    @property
    def ok(self) -> bool:
        return self.file_error is None and not self.errors


@dataclass
class ImportReport:
    files: list[FileResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.files)

    def render(self, max_errors_per_file: int = 50) -> str:
        if not self.files:
            return "No import files found (expected csms.csv, accounts.csv, usage.csv, tickets.csv, ...)."
        lines = []
        for result in self.files:
            if result.file_error:
                lines.append(f"✗ {result.file}: rejected — {result.file_error}")
            elif result.errors:
                lines.append(
                    f"✗ {result.file}: rejected, nothing written — {len(result.errors)} bad row(s) of {result.rows_read}"
                )
                lines.extend(f"    {error.render()}" for error in result.errors[:max_errors_per_file])
                if len(result.errors) > max_errors_per_file:
                    lines.append(f"    … and {len(result.errors) - max_errors_per_file} more")
            else:
                lines.append(f"✓ {result.file}: {result.rows_written} rows imported")
        verdict = (
            "Import complete."
            if self.ok
            else "Import finished with rejected files; fix them and import again."
        )
        lines.append(verdict)
        return "\n".join(lines)
