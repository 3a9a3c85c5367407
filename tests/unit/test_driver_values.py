"""Driver values read in bulk (storage.repositories.driver_values) become what the mapped
column types give: dates, and aware UTC datetimes from SQLite's text or PostgreSQL's objects."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from storage.repositories.driver_values import as_day, as_utc, as_utc_or_none

PARIS = timezone(timedelta(hours=1))


def test_sqlite_text_becomes_dates_and_utc_datetimes() -> None:
    assert as_day("2026-03-02") == date(2026, 3, 2)
    moment = as_utc("2025-11-29 08:35:34.977658")  # naive text: stored as UTC
    assert moment == datetime(2025, 11, 29, 8, 35, 34, 977658, tzinfo=UTC)
    assert moment.utcoffset() == timedelta(0)
    assert as_utc("2026-03-02 10:00:00") == datetime(2026, 3, 2, 10, tzinfo=UTC)


def test_text_with_its_own_offset_is_converted_to_utc() -> None:
    moment = as_utc("2026-03-02 10:00:00+01:00")
    assert moment == datetime(2026, 3, 2, 9, tzinfo=UTC) and moment.tzinfo == UTC


def test_driver_objects_pass_through_in_utc() -> None:
    assert as_day(date(2026, 3, 2)) == date(2026, 3, 2)
    moment = as_utc(datetime(2026, 3, 2, 10, tzinfo=PARIS))  # PostgreSQL: the session's zone
    assert moment.tzinfo == UTC and moment.hour == 9
    assert as_utc(datetime(2026, 3, 2, 10)).tzinfo == UTC
    assert as_utc_or_none(None) is None
