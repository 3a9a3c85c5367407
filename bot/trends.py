"""Score trends over 7, 30 and 90 days from the daily snapshots, and how to show them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

TREND_WINDOWS = (7, 30, 90)
TOLERANCE_DAYS = 3  # a missing day falls back to the closest earlier snapshot this near
FLAT = 2  # points: smaller moves are noise


def score_trend(
    history: Sequence[tuple[date, int]], *, as_of: date, score: int
) -> tuple[tuple[int, int], ...]:
    """(window in days, change in points) for each window with a snapshot near its start."""
    trend = []
    for days in TREND_WINDOWS:
        start = as_of - timedelta(days=days)
        earlier = [
            (day, value) for day, value in history if start - timedelta(days=TOLERANCE_DAYS) <= day <= start
        ]
        if earlier:
            trend.append((days, score - max(earlier)[1]))
    return tuple(trend)


def arrow(change: int) -> str:
    if change > FLAT:
        return "↗"
    if change < -FLAT:
        return "↘"
    return "→"


def describe_trend(trend: Sequence[tuple[int, int]]) -> str:
    """'↘ −12 in 7 days · ↘ −20 in 30 days', or '' without history."""
    return " · ".join(
        f"{arrow(change)} {change:+d} in {days} days".replace("-", "−") for days, change in trend
    )
