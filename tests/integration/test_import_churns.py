"""outcomes.csv with `churned_at`: accounts that left without a renewal date (monthly and
self-serve customers) import beside renewal outcomes, bad rows are named, and a re-import
changes nothing; renewal-only files import as before."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from storage import models
from storage.importer import import_directory
from tests.conftest import Database

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
TODAY = date(2026, 3, 2)
MIXED = (
    "account_id,renewal_date,churned_at,outcome\n"
    "A-100,2025-09-30,,renewed\n"
    "A-200,,2026-01-17,\n"
    "A-300,,2026-02-03,churned\n"
    "A-300,2025-04-01,,renewed\n"
)


def _export(tmp_path: Path, outcomes: str) -> Path:
    """A directory holding only this outcomes.csv (the fixture book is imported first)."""
    directory = tmp_path / "export"
    directory.mkdir(exist_ok=True)
    (directory / "outcomes.csv").write_text(outcomes, encoding="utf-8")
    return directory


def _stored(db: Database) -> tuple[list[tuple[str, date, str]], list[tuple[str, date]]]:
    with db.session_factory() as session:
        renewals = session.execute(
            select(
                models.RenewalOutcome.account_id,
                models.RenewalOutcome.renewal_date,
                models.RenewalOutcome.outcome,
            ).order_by(models.RenewalOutcome.account_id, models.RenewalOutcome.renewal_date)
        ).all()
        churns = session.execute(
            select(models.AccountChurn.account_id, models.AccountChurn.churned_at).order_by(
                models.AccountChurn.account_id
            )
        ).all()
    return [(a, d, o) for a, d, o in renewals], [(a, d) for a, d in churns]


@pytest.fixture
def book(db: Database) -> Database:
    report = import_directory(db.session_factory, FIXTURES, today=TODAY)
    assert report.ok, report.render()
    return db


def test_the_renewal_only_fixture_still_imports(book: Database) -> None:
    assert _stored(book) == ([("A-100", date(2025, 9, 30), "renewed")], [])


def test_churned_at_rows_land_beside_renewals_and_a_reimport_changes_nothing(
    book: Database, tmp_path: Path
) -> None:
    export = _export(tmp_path, MIXED)

    first = import_directory(book.session_factory, export, today=TODAY)
    after_first = _stored(book)
    again = import_directory(book.session_factory, export, today=TODAY)

    assert first.ok and again.ok, first.render()
    result = first.file("outcomes.csv")
    assert result is not None and (result.rows_read, result.rows_written) == (4, 4)
    assert after_first == (
        [
            ("A-100", date(2025, 9, 30), "renewed"),
            ("A-300", date(2025, 4, 1), "renewed"),
        ],
        [("A-200", date(2026, 1, 17)), ("A-300", date(2026, 2, 3))],
    )
    assert _stored(book) == after_first


def test_a_churn_only_file_needs_no_renewal_columns_and_a_corrected_date_replaces_the_old(
    book: Database, tmp_path: Path
) -> None:
    import_directory(
        book.session_factory, _export(tmp_path, "account_id,churned_at\nA-200,2026-01-17\n"), today=TODAY
    )
    report = import_directory(
        book.session_factory, _export(tmp_path, "account_id,churned_at\nA-200,2026-01-20\n"), today=TODAY
    )

    assert report.ok, report.render()
    assert _stored(book)[1] == [("A-200", date(2026, 1, 20))]


def test_bad_churn_rows_are_named_and_nothing_of_the_file_is_written(book: Database, tmp_path: Path) -> None:
    export = _export(
        tmp_path,
        "account_id,renewal_date,churned_at,outcome\n"
        "A-200,,2026-01-17,\n"  # line 2: fine, but the file is refused
        "A-300,,,churned\n"  # line 3: neither date
        "A-300,,2026-02-03,renewed\n"  # line 4: a churn cannot be a renewal
        "A-100,2026-09-30,2026-02-01,churned\n"  # line 5: both dates
        "A-100,2026-09-30,,\n"  # line 6: a renewal without its outcome
        "A-300,,03/02/2026,\n"  # line 7: not ISO
        "A-200,,2026-01-18,churned\n"  # line 8: A-200 churned once (line 2)
        "A-999,,2026-01-18,\n",  # line 9: unknown account
    )

    report = import_directory(book.session_factory, export, today=TODAY)

    result = report.file("outcomes.csv")
    assert result is not None and not result.ok and result.rows_written == 0
    problems = {error.line: (error.field, error.message) for error in result.errors}
    assert sorted(problems) == [3, 4, 5, 6, 7, 8, 9], report.render()
    assert problems[3][0] == "renewal_date" and "give renewal_date" in problems[3][1]
    assert "or churned_at" in problems[3][1]
    assert problems[4] == (
        "outcome",
        "must be churned or empty on a row with churned_at (the account left on 2026-02-03), got 'renewed'",
    )
    assert problems[5][0] == "churned_at" and "not both" in problems[5][1]
    assert problems[6][0] == "outcome" and problems[6][1].startswith("required value is missing")
    assert problems[7][0] == "churned_at" and "ISO date" in problems[7][1]
    assert problems[8] == ("account_id", "duplicate of line 2 (same account_id=A-200)")
    assert problems[9][0] == "account_id" and "unknown account 'A-999'" in problems[9][1]
    assert "outcomes.csv line 4: outcome: must be churned or empty" in report.render()
    assert _stored(book) == ([("A-100", date(2025, 9, 30), "renewed")], [])


def test_a_header_without_either_date_column_is_refused(book: Database, tmp_path: Path) -> None:
    report = import_directory(book.session_factory, _export(tmp_path, "account_id,outcome\nA-200,churned\n"))

    result = report.file("outcomes.csv")
    assert result is not None and result.file_error is not None
    assert "missing required column(s): renewal_date or churned_at" in result.file_error


def test_a_churn_dated_after_the_import_is_imported_with_a_warning(book: Database, tmp_path: Path) -> None:
    report = import_directory(
        book.session_factory, _export(tmp_path, "account_id,churned_at\nA-200,2026-06-01\n"), today=TODAY
    )

    result = report.file("outcomes.csv")
    assert result is not None and result.ok and result.rows_written == 1
    assert [(w.line, w.field) for w in result.warnings] == [(2, "churned_at")]
    assert "a churn cannot have happened yet" in result.warnings[0].message


def test_the_whole_fixture_book_with_a_churn_file_imports_in_one_pass(db: Database, tmp_path: Path) -> None:
    export = tmp_path / "book"
    shutil.copytree(FIXTURES, export)
    (export / "outcomes.csv").write_text(MIXED, encoding="utf-8")

    report = import_directory(db.session_factory, export, today=TODAY)

    assert report.ok, report.render()
    assert len(_stored(db)[1]) == 2
