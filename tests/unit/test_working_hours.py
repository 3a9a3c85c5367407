"""Working hours in each person's zone: the hold window counts only time they are at work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.delivery.engine import retry_delay
from bot.working_hours import WorkingHours, add_working_time, local_time, zone_of

HOURS = WorkingHours.parse("08:00-18:00", "mon-fri")
TWO_HOURS = timedelta(hours=2)
BERLIN, SYDNEY, LA = ZoneInfo("Europe/Berlin"), ZoneInfo("Australia/Sydney"), ZoneInfo("America/Los_Angeles")


def test_a_hold_inside_the_working_day_is_plain_clock_time() -> None:
    shown = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)  # Monday 08:30 in Berlin
    assert add_working_time(shown, TWO_HOURS, BERLIN, HOURS) == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_a_hold_that_runs_past_closing_resumes_the_next_working_morning() -> None:
    shown = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)  # Monday 17:00 in Berlin: one hour left today
    assert add_working_time(shown, TWO_HOURS, BERLIN, HOURS) == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)


def test_a_hold_begun_at_night_or_on_a_weekend_waits_for_the_working_day() -> None:
    sunday_night = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # Sunday 22:00 in Los Angeles
    assert add_working_time(sunday_night, TWO_HOURS, LA, HOURS).astimezone(LA) == datetime(
        2026, 3, 2, 10, 0, tzinfo=LA
    )
    friday_evening = datetime(2026, 3, 6, 7, 30, tzinfo=UTC)  # Friday 18:30 in Sydney
    assert add_working_time(friday_evening, TWO_HOURS, SYDNEY, HOURS).astimezone(SYDNEY) == datetime(
        2026, 3, 9, 10, 0, tzinfo=SYDNEY
    )


def test_daylight_saving_changes_keep_the_local_working_day() -> None:
    # Berlin moves its clocks forward on Sunday 29 March 2026: Monday still opens at 08:00 local.
    saturday = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    assert add_working_time(saturday, TWO_HOURS, BERLIN, HOURS) == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)


def test_working_hours_are_parsed_or_refused_with_a_reason() -> None:
    assert WorkingHours.parse("09:00-17:30", "mon,wed,fri").days == frozenset({0, 2, 4})
    assert WorkingHours.parse("09:00-17:00", "sun-thu").days == frozenset({6, 0, 1, 2, 3})
    with pytest.raises(ValueError, match="08:00-18:00"):
        WorkingHours.parse("8 to 6", "mon-fri")
    with pytest.raises(ValueError, match="start before they end"):
        WorkingHours.parse("18:00-08:00", "mon-fri")
    with pytest.raises(ValueError, match="working days"):
        WorkingHours.parse("08:00-18:00", "weekdays")
    with pytest.raises(ValueError, match="no working day"):
        add_working_time(
            datetime(2026, 3, 2, tzinfo=UTC),
            TWO_HOURS,
            BERLIN,
            WorkingHours(HOURS.start, HOURS.end, frozenset()),
        )


def test_times_are_shown_in_the_readers_zone_and_unknown_zones_fall_back_to_utc() -> None:
    moment = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)
    assert local_time(moment, BERLIN) == "Tue 03 Mar 10:30 CET"
    assert zone_of("Mars/Olympus_Mons") == ZoneInfo("UTC") and zone_of(None) == ZoneInfo("UTC")


def test_failed_deliveries_wait_twice_as_long_each_time_up_to_a_cap() -> None:
    waits = [retry_delay(n, base_seconds=30, max_seconds=3600).total_seconds() for n in range(1, 10)]
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
