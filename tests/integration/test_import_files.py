"""`import DIR` with good files, on SQLite and PostgreSQL: every file of the design's format
lands, typed and in UTC; re-importing changes nothing; a corrected export updates in place."""

from __future__ import annotations

import csv
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select

from storage import models
from storage.importer import IMPORT_FILES, import_directory
from tests.conftest import Database

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
EXPECTED_WRITES = [
    ("csms.csv", 4),
    ("accounts.csv", 3),
    ("usage.csv", 4),
    ("feature_usage.csv", 3),
    ("tickets.csv", 2),
    ("billing.csv", 4),
    ("engagement.csv", 4),
    ("context.csv", 1),
    ("milestones.csv", 2),
    ("outcomes.csv", 1),
]
TABLES: tuple[type[models.Base], ...] = (
    models.User,
    models.Account,
    models.UsageDaily,
    models.FeatureUsage,
    models.Ticket,
    models.BillingEvent,
    models.EngagementEvent,
    models.ContextEvent,
    models.Milestone,
    models.RenewalOutcome,
)


def _counts(db: Database) -> dict[str, int]:
    with db.session_factory() as session:
        return {
            model.__tablename__: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in TABLES
        }


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "export"
    shutil.copytree(FIXTURES, target)
    return target


def test_every_file_of_a_clean_export_lands_in_dependency_order(db: Database) -> None:
    report = import_directory(db.session_factory, FIXTURES)

    assert report.ok, report.render()
    assert [(result.file, result.rows_written) for result in report.files] == EXPECTED_WRITES
    assert [result.file for result in report.files] == list(IMPORT_FILES)
    assert all(result.rows_read == result.rows_written for result in report.files)
    counts = _counts(db)
    assert counts == dict(
        zip((model.__tablename__ for model in TABLES), (n for _, n in EXPECTED_WRITES), strict=True)
    )


def test_values_are_typed_and_timestamps_are_utc(db: Database) -> None:
    import_directory(db.session_factory, FIXTURES)
    with db.session_factory() as session:
        acme = session.get(models.Account, "A-100")
        globex = session.get(models.Account, "A-200")
        ana = session.get(models.User, "U0CSM1")
        ben = session.get(models.User, "U0CSM2")
        t1, t2 = session.get(models.Ticket, "T-1"), session.get(models.Ticket, "T-2")
        initech_usage = session.get(models.UsageDaily, ("A-300", date(2026, 2, 28)))
        replied = session.scalars(
            select(models.EngagementEvent).where(models.EngagementEvent.kind == "outreach_replied")
        ).one()
        nps = session.scalars(
            select(models.EngagementEvent).where(models.EngagementEvent.kind == "nps")
        ).one()
        migration = session.scalars(select(models.ContextEvent)).one()
        sso = session.get(models.Milestone, ("A-200", "SSO configured"))

    assert acme is not None and (acme.name, acme.segment, acme.arr) == ("Acme Corp", "enterprise", 250000.0)
    assert acme.renewal_date == date(2026, 9, 30) and acme.automation_mode is None  # blank optional cell
    assert globex is not None and globex.automation_mode == "auto"
    assert ana is not None and (ana.manager_slack_id, ana.timezone, ana.digest_time) == (
        "U0MGR1",
        "Europe/Berlin",
        "08:30",
    )
    assert ben is not None and ben.digest_time == "08:30"  # blank: the default
    assert t1 is not None and t1.is_escalation_request and "Second line of the body." in t1.body
    assert t1.opened_at == datetime(2026, 2, 20, 9, 15, tzinfo=UTC)  # no zone means UTC
    assert t2 is not None and t2.opened_at == datetime(2026, 2, 25, 13, 0, tzinfo=UTC)  # +01:00 converted
    assert t2.closed_at == datetime(2026, 2, 26, 10, 0, tzinfo=UTC) and not t2.is_escalation_request
    assert initech_usage is not None and initech_usage.events == 0  # blank optional number: its default
    assert replied.at == datetime(2026, 2, 11, 14, 30, tzinfo=UTC) and nps.value == 9.0
    assert migration.note == "Moving to the EU instance" and migration.ends_at is None
    assert migration.starts_at == datetime(2026, 2, 20, tzinfo=UTC)  # a date alone is midnight UTC
    assert sso is not None and sso.completed_at is None and sso.due_date == date(2025, 6, 5)


def test_importing_the_same_files_twice_changes_nothing(db: Database) -> None:
    import_directory(db.session_factory, FIXTURES)
    before = _counts(db)
    with db.session_factory() as session:
        acme_before = session.get(models.Account, "A-100")

    again = import_directory(db.session_factory, FIXTURES)

    assert again.ok, again.render()
    assert _counts(db) == before
    with db.session_factory() as session:
        acme_after = session.get(models.Account, "A-100")
    assert acme_before is not None and acme_after is not None
    assert (acme_after.name, acme_after.arr, acme_after.renewal_date) == (
        acme_before.name,
        acme_before.arr,
        acme_before.renewal_date,
    )


def test_a_corrected_export_updates_rows_in_place(db: Database, tmp_path: Path) -> None:
    export = _copy(tmp_path)
    import_directory(db.session_factory, export)
    before = _counts(db)
    usage = export / "usage.csv"
    usage.write_text(
        usage.read_text().replace("A-100,2026-02-28,140,400,2800", "A-100,2026-02-28,155,400,2800")
    )
    accounts = export / "accounts.csv"
    accounts.write_text(
        accounts.read_text(encoding="utf-8-sig").replace("250000", "275000"), encoding="utf-8"
    )
    context = export / "context.csv"
    context.write_text(context.read_text().replace("2026-02-20,,", "2026-02-20,2026-02-27T18:00:00Z,"))

    report = import_directory(db.session_factory, export)

    assert report.ok, report.render()
    assert _counts(db) == before
    with db.session_factory() as session:
        row = session.get(models.UsageDaily, ("A-100", date(2026, 2, 28)))
        acme = session.get(models.Account, "A-100")
        migration = session.scalars(select(models.ContextEvent)).one()
    assert row is not None and row.active_users == 155
    assert acme is not None and acme.arr == 275000.0
    assert migration.ends_at == datetime(2026, 2, 27, 18, 0, tzinfo=UTC)


def test_a_file_without_an_optional_column_never_blanks_it(db: Database, tmp_path: Path) -> None:
    """A nightly export that leaves out `industry` keeps the industry already stored, and the
    flags Tandem owns (a CSM's "always human" veto) survive every re-import."""
    import_directory(db.session_factory, FIXTURES)
    with db.session_factory() as session, session.begin():
        acme = session.get(models.Account, "A-100")
        assert acme is not None
        acme.always_human, acme.always_human_by = True, "U0CSM1"
    export = tmp_path / "nightly"
    export.mkdir()
    (export / "accounts.csv").write_text(
        "account_id,name,segment,arr,owner_slack_id,renewal_date\nA-100,Acme Corporation,enterprise,260000,U0CSM1,2026-09-30\n"
    )

    report = import_directory(db.session_factory, export)

    assert report.ok, report.render()
    with db.session_factory() as session:
        acme = session.get(models.Account, "A-100")
    assert acme is not None and (acme.name, acme.arr) == ("Acme Corporation", 260000.0)
    assert acme.industry == "logistics" and acme.contact_email == "ops@acme.example"
    assert acme.always_human and acme.always_human_by == "U0CSM1"


def test_bom_header_case_extra_columns_and_file_name_case_are_accepted(db: Database, tmp_path: Path) -> None:
    export = tmp_path / "spreadsheet"
    export.mkdir()
    shutil.copy(FIXTURES / "csms.csv", export / "CSMS.csv")
    (export / "Accounts.CSV").write_bytes(
        "\ufeffAccount_ID , Name,Segment,ARR,Owner_Slack_ID,Renewal_Date,Notes\r\n"
        "A-1,Zürich Straße AG,smb,9000,U0CSM1,2026-12-01,ignored\r\n"
        "\r\n".encode()
    )
    (export / "notes.csv").write_text("anything\n")

    report = import_directory(db.session_factory, export)

    assert report.ok, report.render()
    assert report.ignored == ["notes.csv"] and "notes.csv" in report.render()
    with db.session_factory() as session:
        account = session.get(models.Account, "A-1")
    assert account is not None and account.name == "Zürich Straße AG" and account.arr == 9000.0


def test_the_report_is_a_readable_table(db: Database) -> None:
    report = import_directory(db.session_factory, FIXTURES)
    lines = report.render().splitlines()

    assert lines[0].split() == ["file", "read", "written", "rejected", "outcome"]
    assert lines[1].split() == ["csms.csv", "4", "4", "0", "imported"]
    assert lines[-1] == "Import complete: 28 row(s) written from 10 file(s)."


def test_a_directory_without_import_files_is_not_ok(db: Database, tmp_path: Path) -> None:
    report = import_directory(db.session_factory, tmp_path)

    assert not report.ok and report.files == []
    assert "No import files found" in report.render()


def test_ticket_tone_is_stored_on_import_and_follows_a_corrected_text(db: Database, tmp_path: Path) -> None:
    from scoring.sentiment import ticket_tone

    export = _copy(tmp_path)
    assert import_directory(db.session_factory, export).ok
    with db.session_factory() as session:
        tickets = {t.ticket_id: t for t in session.scalars(select(models.Ticket))}
    assert tickets and all(t.sentiment == ticket_tone(t.subject, t.body) for t in tickets.values())

    ticket_id = sorted(tickets)[0]
    path = export / "tickets.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["ticket_id"] == ticket_id]
    rows[0]["subject"] = "Unacceptable and furious: third outage this week"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert import_directory(db.session_factory, export).ok
    with db.session_factory() as session:
        corrected = session.get(models.Ticket, ticket_id)
    assert corrected is not None and corrected.sentiment is not None
    assert (
        corrected.sentiment == ticket_tone(corrected.subject, corrected.body) < tickets[ticket_id].sentiment
    )
