"""Dating for learning: labels, weeks and windows follow the cycle day a card came from.

A week starts on Monday and is named by that Monday's date, so a report, a proposal and a
replay run with `--as-of` on the same day count the same weeks.
"""

from __future__ import annotations

from datetime import date, timedelta


def week_of(day: date) -> date:
    """The Monday of the week `day` falls in."""
    return day - timedelta(days=day.weekday())


def report_weeks(as_of: date, weeks: int) -> list[date]:
    """The `weeks` weeks ending with the one `as_of` falls in, oldest first."""
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, got {weeks}")
    last = week_of(as_of)
    return [last - timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]


def window_start(as_of: date, weeks: int) -> date:
    """The first day of the report window (a Monday)."""
    return report_weeks(as_of, weeks)[0]
