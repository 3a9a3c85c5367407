"""`import DIR`: validated, all-or-nothing per file, idempotent, with a report naming bad rows."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from storage import models
from storage.importer import import_directory
from tests.conftest import Database

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"


def _count(db: Database, model: type[models.Base]) -> int:
    with db.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "export"
    shutil.copytree(FIXTURES, target)
    return target


def test_a_clean_export_imports_every_file(db: Database) -> None:
    report = import_directory(db.session_factory, FIXTURES)
    assert report.ok, report.render()
    assert [(f.file, f.rows_written) for f in report.files] == [
        ("csms.csv", 4), ("accounts.csv", 3), ("usage.csv", 4), ("tickets.csv", 2), ("context.csv", 1),
    ]  # fmt: skip
    with db.session_factory() as session:
        acme = session.get(models.Account, "A-100")
        ticket = session.get(models.Ticket, "T-1")
        t2 = session.get(models.Ticket, "T-2")
        ana = session.get(models.User, "U0CSM1")
    assert (
        acme is not None
        and acme.name == "Acme Corp"
        and acme.arr == 250000.0
        and acme.automation_mode is None
    )
    assert ticket is not None and ticket.is_escalation_request and "Second line" in ticket.body
    assert ticket.opened_at == datetime(2026, 2, 20, 9, 15, tzinfo=UTC)  # no zone means UTC
    assert t2 is not None and t2.opened_at == datetime(2026, 2, 25, 13, 0, tzinfo=UTC)
    assert ana is not None and ana.manager_slack_id == "U0MGR1" and ana.timezone == "Europe/Berlin"


def test_importing_the_same_files_twice_changes_nothing(db: Database, tmp_path: Path) -> None:
    export = _copy(tmp_path)
    import_directory(db.session_factory, export)
    before = {
        model: _count(db, model)
        for model in (models.User, models.Account, models.UsageDaily, models.Ticket, models.ContextEvent)
    }
    again = import_directory(db.session_factory, export)
    assert again.ok
    assert {model: _count(db, model) for model in before} == before

    usage = export / "usage.csv"
    usage.write_text(
        usage.read_text().replace("A-100,2026-02-28,140,400,2800", "A-100,2026-02-28,155,400,2800")
    )
    import_directory(db.session_factory, export)
    with db.session_factory() as session:
        row = session.get(models.UsageDaily, ("A-100", datetime(2026, 2, 28).date()))
        assert row is not None and row.active_users == 155  # a corrected export updates in place
    assert _count(db, models.UsageDaily) == before[models.UsageDaily]


def test_one_bad_row_rejects_its_file_only_and_names_every_problem(db: Database, tmp_path: Path) -> None:
    export = _copy(tmp_path)
    (export / "usage.csv").write_text(
        "account_id,date,active_users,licensed_seats\n"
        "A-100,2026-02-27,150,400\n"
        "A-100,2026-02-30,10,400\n"  # line 3: no such date
        "A-100,2026-02-26,ten,400\n"  # line 4: not a number
        "A-999,2026-02-26,1,4\n"  # line 5: unknown account
        "A-200,2026-02-26,-3,20\n"  # line 6: negative
    )
    (export / "tickets.csv").write_text(
        "ticket_id,account_id,opened_at,severity,subject,body\nT-9,A-100,2026-02-20T09:00:00,catastrophic,Down,Everything\n"
    )
    report = import_directory(db.session_factory, export)
    assert not report.ok
    by_file = {result.file: result for result in report.files}
    usage_errors = {(e.line, e.field) for e in by_file["usage.csv"].errors}
    assert usage_errors == {(3, "date"), (4, "active_users"), (5, "account_id"), (6, "active_users")}
    rendered = report.render()
    assert "usage.csv line 4: active_users:" in rendered and "'ten'" in rendered
    assert "unknown account" in rendered and "'A-999'" in rendered
    assert "tickets.csv line 2: severity:" in rendered and "catastrophic" in rendered
    assert by_file["accounts.csv"].ok and _count(db, models.Account) == 3  # the other files landed
    assert _count(db, models.UsageDaily) == 0 and _count(db, models.Ticket) == 0  # nothing half-written


def test_a_bad_file_never_touches_what_was_already_stored(db: Database, tmp_path: Path) -> None:
    import_directory(db.session_factory, FIXTURES)
    export = tmp_path / "nightly"
    export.mkdir()
    (export / "usage.csv").write_text(
        "account_id,date,active_users,licensed_seats\nA-100,2026-02-27,1,400\nA-100,2026-03-01,x,400\n"
    )
    report = import_directory(db.session_factory, export)
    assert not report.ok
    with db.session_factory() as session:
        row = session.get(models.UsageDaily, ("A-100", datetime(2026, 2, 27).date()))
        assert row is not None and row.active_users == 150  # the valid first row was not applied either


def test_missing_required_column_and_unknown_owner(db: Database, tmp_path: Path) -> None:
    export = tmp_path / "broken"
    export.mkdir()
    shutil.copy(FIXTURES / "csms.csv", export / "csms.csv")
    (export / "accounts.csv").write_text(
        "account_id,name,segment,arr,owner_slack_id,renewal_date\nA-1,Acme,smb,100,U0NOBODY,2026-09-30\n"
    )
    (export / "usage.csv").write_text("account_id,date,active_users\nA-1,2026-02-27,1\n")
    report = import_directory(db.session_factory, export)
    by_file = {result.file: result for result in report.files}
    assert by_file["csms.csv"].ok
    assert by_file["accounts.csv"].errors[0].field == "owner_slack_id"
    assert by_file["usage.csv"].file_error is not None and "licensed_seats" in by_file["usage.csv"].file_error
    assert _count(db, models.Account) == 0 and _count(db, models.User) == 4


def test_duplicate_keys_in_one_file_are_reported(db: Database, tmp_path: Path) -> None:
    export = _copy(tmp_path)
    (export / "usage.csv").write_text(
        "account_id,date,active_users,licensed_seats\nA-100,2026-02-27,1,400\nA-100,2026-02-27,2,400\n"
    )
    report = import_directory(db.session_factory, export)
    usage = next(result for result in report.files if result.file == "usage.csv")
    assert [(e.line, e.message) for e in usage.errors] == [(3, "duplicate of line 2")]
