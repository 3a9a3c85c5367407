"""The override log summed up for ops (bot.reports.override_summary), its App Home section and
the Export modal's period check."""

from __future__ import annotations

import json
from datetime import date

import pytest

from bot.blocks.ops_home import FilterChoices, OpsHomeView, ops_home_section
from bot.ids import OpsExportModal
from bot.reports.override_summary import DecisionRow, human_duration, median, summarise
from bot.workflows.ops_export import MAX_DAYS, period_errors
from storage.repositories.override_stats import OverrideFilters
from tests.support.block_limits import block_problems


def row(
    trigger: str, segment: str | None, action: str, seconds: float = 60.0, reason: str | None = None
) -> DecisionRow:
    return DecisionRow(trigger, segment, action, reason, seconds)


def test_rates_reasons_and_median_per_trigger_and_segment() -> None:
    rows = [
        row("health_low", "smb", "approved", 60),
        row("health_low", "smb", "approved", 120),
        row("health_low", "smb", "edited", 300),
        row("health_low", "smb", "dismissed", 600, "known_context"),
        row("health_low", "smb", "dismissed", 900, "false_positive"),
        row("health_low", "smb", "dismissed", 1200, "false_positive"),
        row("health_low", "enterprise", "taken_over", 7200),
    ]
    (health,) = summarise(rows)
    assert (health.trigger, health.cards, health.trips) == ("health_low", 7, 0)
    smb, enterprise = health.segments  # most cards first
    assert smb.segment == "smb" and smb.cards == 6
    assert dict(smb.counts) == {"approved": 2, "edited": 1, "taken_over": 0, "dismissed": 3}
    assert smb.rate("approved") == pytest.approx(2 / 6) and smb.rate("taken_over") == 0
    assert smb.dismiss_reasons == (("false_positive", 2), ("known_context", 1))
    assert smb.median_seconds == 450  # (300 + 600) / 2
    assert enterprise.rate("taken_over") == 1 and enterprise.median_seconds == 7200


def test_rows_that_are_not_a_persons_decision_are_left_out() -> None:
    context = [
        row("health_low", "smb", action, 1)
        for action in (
            "climbed_manager",
            "climbed_channel",
            "reminded",
            "snoozed",
            "woke",
            "handed_back",
            "auto_sent",
        )
    ]
    (health,) = summarise([row("health_low", "smb", "approved", 100), *context])
    assert health.cards == 1 and health.segments[0].median_seconds == 100
    assert summarise(context) == []


def test_a_trigger_that_only_tripped_is_listed_and_triggers_sort_by_cards() -> None:
    rows = [
        row("sentiment", "smb", "approved"),
        row("health_low", None, "approved"),
        row("health_low", None, "edited"),
    ]
    summaries = summarise(rows, trips={"renewal_risk": 2, "health_low": 1, "expansion_ready": 0})
    assert [(s.trigger, s.cards, s.trips) for s in summaries] == [
        ("health_low", 2, 1),
        ("sentiment", 1, 0),
        ("renewal_risk", 0, 2),
    ]
    assert summaries[0].segments[0].segment == "unknown"


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, "–"),
        (0, "0s"),
        (59.4, "59s"),
        (60, "1m"),
        (3599, "59m"),
        (3600, "1h"),
        (11_100, "3h 5m"),
        (86_400, "1d"),
        (90_000, "1d 1h"),
    ],
)
def test_human_duration(seconds: float | None, shown: str) -> None:
    assert human_duration(seconds) == shown


def test_median() -> None:
    assert median([]) is None
    assert median([5.0, 1.0, 3.0]) == 3.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5


def test_the_section_stays_compact_however_many_triggers() -> None:
    rows = [row(f"trigger_{n:02d}", f"seg_{s}", "approved") for n in range(20) for s in range(9)]
    view = OpsHomeView(
        summarise(rows), OverrideFilters(), FilterChoices(["health_low"], ["smb"], ["approved"])
    )
    blocks = ops_home_section(view)
    assert len(blocks) == 1 + 1 + 8 + 1  # title, filters, 8 triggers, "and 12 more"
    assert "12 more triggers" in json.dumps(blocks[-1])
    assert "…and 3 more segments" in blocks[2]["text"]["text"]
    assert block_problems(blocks) == []


def test_a_chosen_filter_is_shown_selected() -> None:
    filters = OverrideFilters(trigger="health_low", csm="U0CSM001")
    view = OpsHomeView([], filters, FilterChoices(["health_low", "sentiment"], ["smb"], ["approved"]))
    blocks = ops_home_section(view)
    trigger_select, _, csm_select, _, clear, export = blocks[1]["elements"]
    assert trigger_select["initial_option"]["value"] == "health_low"
    assert csm_select["initial_user"] == "U0CSM001"
    assert clear["text"]["text"] == "Clear filters" and export["text"]["text"].startswith("Export")
    assert "No decisions match these filters." in json.dumps(blocks)
    assert block_problems(blocks) == []


def test_the_export_period_is_checked() -> None:
    today = date(2026, 3, 2)
    assert period_errors(date(2026, 2, 1), date(2026, 3, 2), today=today) == {}
    assert (
        "before the first day"
        in period_errors(date(2026, 3, 1), date(2026, 2, 1), today=today)[OpsExportModal.END_BLOCK]
    )
    too_long = period_errors(date(2023, 1, 1), date(2026, 3, 1), today=today)[OpsExportModal.START_BLOCK]
    assert "at most two years" in too_long and "1,156 days" in too_long
    exactly_two_years = date.fromordinal(date(2026, 3, 1).toordinal() - MAX_DAYS + 1)
    assert period_errors(exactly_two_years, date(2026, 3, 1), today=today) == {}
    assert OpsExportModal.START_BLOCK in period_errors(None, date(2026, 3, 1), today=today)
    assert (
        "in the future"
        in period_errors(date(2026, 3, 5), date(2026, 3, 6), today=today)[OpsExportModal.START_BLOCK]
    )
