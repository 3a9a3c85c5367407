"""`import DIR` with bad files, on SQLite and PostgreSQL: a bad row rejects its whole file and
the report names file, line and field; the other files land; what was stored stays intact."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage import models
from storage.importer import FileResult, ImportReport, import_directory
from tests.conftest import Database

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
USAGE_HEADER = "account_id,date,active_users,licensed_seats\n"


def _count(db: Database, model: type[models.Base]) -> int:
    with db.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "export"
    shutil.copytree(FIXTURES, target)
    return target


def _result(report: ImportReport, file: str) -> FileResult:
    result = report.file(file)
    assert result is not None, f"{file} is not in the report"
    return result


def _problems(report: ImportReport, file: str) -> list[tuple[int, str]]:
    return [(error.line, error.field) for error in _result(report, file).errors]


def test_one_bad_row_rejects_its_file_only_and_names_every_problem(db: Database, tmp_path: Path) -> None:
    export = _copy(tmp_path)
    (export / "usage.csv").write_text(
        USAGE_HEADER + "A-100,2026-02-27,150,400\n"
        "A-100,2026-02-30,10,400\n"  # line 3: no such day
        "A-100,2026-02-26,ten,400\n"  # line 4: not a number
        "A-999,2026-02-26,1,4\n"  # line 5: unknown account
        "A-200,2026-02-26,-3,20\n"  # line 6: negative
        "A-200,26/02/2026,3,20\n"  # line 7: not ISO
    )
    (export / "tickets.csv").write_text(
        "ticket_id,account_id,opened_at,severity,subject,body\nT-9,A-100,2026-02-20T09:00:00,catastrophic,Down,All\n"
    )

    report = import_directory(db.session_factory, export)

    assert not report.ok
    assert _problems(report, "usage.csv") == [
        (3, "date"),
        (4, "active_users"),
        (5, "account_id"),
        (6, "active_users"),
        (7, "date"),
    ]
    rendered = report.render()
    assert "usage.csv line 4: active_users: must be a whole number, got 'ten'" in rendered
    assert (
        "usage.csv line 3: date: not a valid date (day value is outside expected range), got '2026-02-30'"
        in rendered
    )
    assert (
        "usage.csv line 5: account_id: unknown account 'A-999' (not in accounts.csv or the database)"
        in rendered
    )
    assert "usage.csv line 6: active_users: must not be negative, got '-3'" in rendered
    assert "usage.csv line 7: date: must be an ISO date (YYYY-MM-DD), got '26/02/2026'" in rendered
    assert (
        "tickets.csv line 2: severity: must be one of 'low', 'normal', 'high' or 'urgent', got 'catastrophic'"
        in rendered
    )
    usage = report.file("usage.csv")
    assert usage is not None and (usage.rows_read, usage.rows_written, usage.rows_rejected) == (6, 0, 5)
    assert all(
        _result(report, name).ok for name in ("csms.csv", "accounts.csv", "billing.csv", "context.csv")
    )
    assert _count(db, models.Account) == 3 and _count(db, models.BillingEvent) == 4  # the other files landed
    assert _count(db, models.UsageDaily) == 0 and _count(db, models.Ticket) == 0  # nothing half-written


def test_a_bad_file_never_touches_what_was_already_stored(db: Database, tmp_path: Path) -> None:
    import_directory(db.session_factory, FIXTURES)
    export = tmp_path / "nightly"
    export.mkdir()
    (export / "usage.csv").write_text(USAGE_HEADER + "A-100,2026-02-27,1,400\nA-100,2026-03-01,x,400\n")

    report = import_directory(db.session_factory, export)

    assert not report.ok and _problems(report, "usage.csv") == [(3, "active_users")]
    with db.session_factory() as session:
        row = session.get(models.UsageDaily, ("A-100", date(2026, 2, 27)))
    assert row is not None and row.active_users == 150  # the valid first row was not applied either
    assert _count(db, models.UsageDaily) == 4


def test_unknown_owner_rejects_accounts_and_then_everything_that_needs_them(
    db: Database, tmp_path: Path
) -> None:
    export = tmp_path / "broken"
    export.mkdir()
    shutil.copy(FIXTURES / "csms.csv", export / "csms.csv")
    (export / "accounts.csv").write_text(
        "account_id,name,segment,arr,owner_slack_id,renewal_date\n"
        "A-1,Acme,smb,100,U0CSM1,2026-09-30\n"
        "A-2,Globex,smb,100,U0NOBODY,2026-09-30\n"
    )
    (export / "usage.csv").write_text(USAGE_HEADER + "A-1,2026-02-27,1,5\n")

    report = import_directory(db.session_factory, export)

    assert _result(report, "csms.csv").ok
    assert _problems(report, "accounts.csv") == [(3, "owner_slack_id")]
    assert "unknown user 'U0NOBODY' (not in csms.csv or the database)" in report.render()
    # A-1 itself was fine, but accounts.csv was rejected whole, so usage cannot refer to it.
    assert "unknown account 'A-1' (not in the database, and accounts.csv was rejected)" in report.render()
    assert _count(db, models.Account) == 0 and _count(db, models.User) == 4


def test_a_missing_required_column_rejects_the_file_by_name(db: Database, tmp_path: Path) -> None:
    export = _copy(tmp_path)
    (export / "usage.csv").write_text("account_id,date,active_users\nA-100,2026-02-27,1\n")
    (export / "tickets.csv").write_text("ticket_id,account_id,opened_at,subject\nT-1,A-100,2026-02-20,Hi\n")

    report = import_directory(db.session_factory, export)

    usage, tickets = report.file("usage.csv"), report.file("tickets.csv")
    assert usage is not None and usage.file_error is not None
    assert usage.file_error.startswith("missing required column(s): licensed_seats")
    assert tickets is not None and tickets.file_error is not None
    assert "severity, body" in tickets.file_error
    assert (
        "usage.csv  " in report.render()
        and "rejected: missing required column(s): licensed_seats" in report.render()
    )
    assert _count(db, models.UsageDaily) == 0 and _count(db, models.Account) == 3


@pytest.mark.parametrize(
    ("file", "text", "line", "field", "message"),
    [
        ("billing.csv", "account_id,date,kind,amount\nA-100,2026-02-01,invoice_paid,-5\n", 2, "amount", "must not be negative"),
        ("billing.csv", "account_id,date,kind,amount\nA-100,2026-02-01,refunded,5\n", 2, "kind", "must be one of"),
        ("engagement.csv", "account_id,at,kind,value\nA-100,2026-02-01T10:00,nps,11\n", 2, "value", "between 0 and 10"),
        ("engagement.csv", "account_id,at,kind\nA-100,1700000000,meeting\n", 2, "at", "must be an ISO timestamp"),
        ("context.csv", "account_id,kind,starts_at,ends_at\nA-100,migration,2026-02-20,2026-02-01\n", 2, "ends_at", "is before starts_at"),
        ("context.csv", "account_id,kind,starts_at\nA-100,alien_invasion,2026-02-20\n", 2, "kind", "'migration', 'data_gap'"),
        ("csms.csv", "slack_id,name,role,timezone\nU1,Ana,csm,Mars/Olympus\n", 2, "timezone", "unknown time zone"),
        ("csms.csv", "slack_id,name,role,manager_slack_id\nU1,Ana,csm,U0GHOST\n", 2, "manager_slack_id", "unknown user 'U0GHOST'"),
        ("accounts.csv", "account_id,name,segment,arr,owner_slack_id,renewal_date\nA-1,X,smb,nan,U0CSM1,2026-01-01\n", 2, "arr", "must be a finite number"),
        # A blank renewal date is a monthly customer (allowed); a garbled one is refused.
        ("accounts.csv", "account_id,name,segment,arr,owner_slack_id,renewal_date\nA-1,X,smb,100,U0CSM1,monthly\n", 2, "renewal_date", "must be an ISO date"),
        ("tickets.csv", "ticket_id,account_id,opened_at,severity,subject,body,is_escalation_request\nT-1,A-100,2026-02-20,low,Hi,x,perhaps\n", 2, "is_escalation_request", "must be true or false"),
        ("outcomes.csv", "account_id,renewal_date,outcome\nA-100,2025-09-30,maybe\n", 2, "outcome", "'renewed' or 'churned'"),
        ("milestones.csv", "account_id,step,due_date\nA-100,,2026-01-01\n", 2, "step", "required value is missing"),
    ],
)  # fmt: skip
def test_each_kind_of_bad_value_is_named(
    sqlite_db: Database, tmp_path: Path, file: str, text: str, line: int, field: str, message: str
) -> None:
    import_directory(sqlite_db.session_factory, FIXTURES)
    export = tmp_path / "one"
    export.mkdir()
    (export / file).write_text(text)

    report = import_directory(sqlite_db.session_factory, export)

    result = report.file(file)
    assert result is not None and not result.ok
    assert [(e.line, e.field) for e in result.errors] == [(line, field)], report.render()
    assert message in result.errors[0].message


def test_a_monthly_customer_imports_without_a_renewal_date(sqlite_db: Database, tmp_path: Path) -> None:
    import_directory(sqlite_db.session_factory, FIXTURES)
    export = tmp_path / "monthly"
    export.mkdir()
    (export / "accounts.csv").write_text(
        "account_id,name,segment,arr,owner_slack_id,renewal_date\nA-M1,Monthly Co,self_serve,1200,U0CSM1,\n"
    )
    report = import_directory(sqlite_db.session_factory, export)
    assert report.file("accounts.csv").ok, report.render()  # type: ignore[union-attr]
    with sqlite_db.session_factory() as session:
        account = session.get(models.Account, "A-M1")
        assert account is not None and account.renewal_date is None


def test_line_numbers_match_the_file_with_multiline_cells_and_blank_lines(
    sqlite_db: Database, tmp_path: Path
) -> None:
    import_directory(sqlite_db.session_factory, FIXTURES)
    export = tmp_path / "tickets"
    export.mkdir()
    (export / "tickets.csv").write_text(
        "ticket_id,account_id,opened_at,severity,subject,body\n"  # line 1
        'T-10,A-100,2026-02-20,low,Hi,"a body\nspanning\nthree lines"\n'  # lines 2-4
        "\n"  # line 5: blank
        "T-11,A-100,2026-02-21,sever,Hi,x\n"  # line 6
    )

    report = import_directory(sqlite_db.session_factory, export)

    assert _problems(report, "tickets.csv") == [(6, "severity")]


def test_duplicate_keys_in_one_file_are_reported(db: Database, tmp_path: Path) -> None:
    export = _copy(tmp_path)
    (export / "usage.csv").write_text(USAGE_HEADER + "A-100,2026-02-27,1,400\nA-100,2026-02-27,2,400\n")
    (export / "engagement.csv").write_text(  # the same instant, written in two zones
        "account_id,at,kind\nA-100,2026-02-10T09:00:00Z,meeting\nA-100,2026-02-10T10:00:00+01:00,meeting\n"
    )

    report = import_directory(db.session_factory, export)

    usage = report.file("usage.csv")
    assert usage is not None
    assert [(e.line, e.message) for e in usage.errors] == [
        (3, "duplicate of line 2 (same account_id=A-100, day=2026-02-27)")
    ]
    assert _problems(report, "engagement.csv") == [(3, "account_id/at/kind")]


def test_unreadable_files_are_rejected_with_a_reason(sqlite_db: Database, tmp_path: Path) -> None:
    export = tmp_path / "odd"
    export.mkdir()
    (export / "csms.csv").write_bytes("slack_id,name,role\nU1,J\xf6rg,csm\n".encode("latin-1"))
    (export / "accounts.csv").write_text("")

    report = import_directory(sqlite_db.session_factory, export)

    csms, accounts = report.file("csms.csv"), report.file("accounts.csv")
    assert csms is not None and csms.file_error is not None and "not UTF-8" in csms.file_error
    assert accounts is not None and accounts.file_error == "the file is empty (no header row)"
    assert "Import finished with 2 rejected file(s) (csms.csv, accounts.csv)" in report.render()
