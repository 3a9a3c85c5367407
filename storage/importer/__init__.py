"""CSV import of a book of business (the design's import format)."""

from storage.importer.loader import import_directory
from storage.importer.report import FileResult, ImportReport, RowError

__all__ = ["FileResult", "ImportReport", "RowError", "import_directory"]
