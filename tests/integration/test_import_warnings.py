"""`import DIR` with odd but possible data, on SQLite and PostgreSQL: usage and engagement dated
in the future and more active users than licensed seats are imported as given, and the report
warns about each row (file, line, field, why); a NUL byte is refused with the row named."""

from __future__ import annotations

import io
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select

from bot.clock import FrozenClock
from bot.commands import import_dir
from bot.deps import Deps
from bot.posting import TerminalPoster
from bot.settings import Settings
from prompts.drafting import TemplateDrafter
from storage import models
from storage.importer import ImportReport, import_directory
from tests.conftest import Database

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
TODAY = date(2026, 3, 2)


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "export"
    shutil.copytree(FIXTURES, target)
    return target


def _count(db: Database, model: type[models.Base]) -> int:
    with db.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _warnings(report: ImportReport, file: str) -> list[tuple[int, str, str]]:
    result = report.file(file)
    assert result is not None
    return [(w.line, w.field, w.message) for w in result.warnings]


def test_future_dates_and_seats_overrun_are_imported_with_a_warning_per_row(
    db: Database, tmp_path: Path
) -> None:
    export = _copy(tmp_path)
    (export / "usage.csv").write_text(
        "account_id,date,active_users,licensed_seats\n"
        "A-100,2026-02-27,150,400\n"
        "A-100,2031-02-27,150,400\n"  # line 3: five years ahead
        "A-200,2026-02-27,45,20\n"  # line 4: more users than seats
        "A-200,2026-03-03,3,20\n"  # line 5: tomorrow: a time zone away, not a warning
    )
    (export / "engagement.csv").write_text(
        "account_id,at,kind,value\nA-100,2026-02-10T09:00:00,meeting,\nA-100,2029-06-01T09:00:00Z,nps,9\n"
    )

    report = import_directory(db.session_factory, export, today=TODAY)

    assert report.ok, report.render()
    assert _count(db, models.UsageDaily) == 4 and _count(db, models.EngagementEvent) == 2
    assert _warnings(report, "usage.csv") == [
        (
            3,
            "date",
            "2031-02-27 is 1823 days after the import date (2026-03-02): usage cannot have happened yet",
        ),
        (4, "active_users", "45 active users is more than the 20 licensed seats"),
    ]
    assert _warnings(report, "engagement.csv") == [
        (
            3,
            "at",
            "2029-06-01 is 1187 days after the import date (2026-03-02): engagement cannot have happened yet",
        )
    ]
    text = report.render()
    assert "Warnings (imported as given; check them):" in text
    assert "usage.csv line 3: date: 2031-02-27 is 1823 days after" in text
    assert "usage.csv line 4: active_users: 45 active users is more than the 20 licensed seats" in text
    assert "engagement.csv line 3: at: 2029-06-01" in text
    assert "imported, 2 warning(s)" in text and "Import complete" in text


def test_a_clean_export_has_no_warnings(db: Database) -> None:
    report = import_directory(db.session_factory, FIXTURES, today=TODAY)
    assert report.ok and all(result.warnings == [] for result in report.files)
    assert "Warnings" not in report.render()


def test_the_import_command_warns_against_the_clock(db: Database, tmp_path: Path) -> None:
    export = _copy(tmp_path)
    (export / "usage.csv").write_text("account_id,date,active_users,licensed_seats\nA-100,2099-01-01,1,4\n")
    out = io.StringIO()
    deps = Deps(
        settings=Settings(), session_factory=db.session_factory, clock=FrozenClock(datetime(2026, 3, 2, 9, tzinfo=UTC)),
        drafter=TemplateDrafter(), poster=TerminalPoster(out),
    )  # fmt: skip
    assert import_dir(deps, export, out=out) == 0
    assert (
        "usage.csv line 2: date: 2099-01-01 is 26603 days after the import date (2026-03-02)"
        in out.getvalue()
    )


def test_a_nul_byte_is_refused_with_its_file_line_and_field(db: Database, tmp_path: Path) -> None:
    export = _copy(tmp_path)
    (export / "tickets.csv").write_text(
        "ticket_id,account_id,opened_at,severity,subject,body\n"
        "T-1,A-100,2026-02-20T09:15:00,high,Export failing,fine\n"
        "T-2,A-100,2026-02-21T09:15:00,high,Export failing,bad\x00byte\n"
    )

    report = import_directory(db.session_factory, export, today=TODAY)

    tickets = report.file("tickets.csv")
    assert tickets is not None and not tickets.ok and tickets.file_error is None
    assert [(e.line, e.field) for e in tickets.errors] == [(3, "body")]
    assert "NUL" in tickets.errors[0].message
    assert "tickets.csv line 3: body:" in report.render()
    assert _count(db, models.Ticket) == 0  # the file is all-or-nothing
    assert _count(db, models.UsageDaily) == 4  # the other files still land
