"""Score changes over 7, 30 and 90 days, from earlier daily scores (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

TREND_WINDOWS = (7, 30, 90)
TOLERANCE_DAYS = 3  # a missing day falls back to the closest earlier snapshot this near


def prior_score(history: Sequence[tuple[date, int]], *, as_of: date, days: int) -> int | None:
    """The score `days` before as_of, or the latest within TOLERANCE_DAYS before that day."""
    start = as_of - timedelta(days=days)
    earlier = [
        (day, value) for day, value in history if start - timedelta(days=TOLERANCE_DAYS) <= day <= start
    ]
    return max(earlier)[1] if earlier else None


def score_trend(
    history: Sequence[tuple[date, int]], *, as_of: date, score: int
) -> tuple[tuple[int, int], ...]:
    """(window in days, change in points) for each window with a snapshot near its start."""
    trend = []
    for days in TREND_WINDOWS:
        before = prior_score(history, as_of=as_of, days=days)
        if before is not None:
            trend.append((days, score - before))
    return tuple(trend)
