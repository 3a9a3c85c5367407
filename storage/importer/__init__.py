"""CSV import of a book of business (the design's "Import format").

    report = import_directory(session_factory, Path("export/"))
    print(report.render())
    if not report.ok: ...

Each file is streamed, checked and written in batches inside its own transaction, or not at all
(one bad row rolls the file back); re-importing the same files changes nothing.
"""

from storage.importer.loader import import_directory
from storage.importer.report import FileResult, ImportReport, RowError
from storage.importer.specs import IMPORT_FILES

__all__ = ["IMPORT_FILES", "FileResult", "ImportReport", "RowError", "import_directory"]
