"""How a score trend is shown: arrows and "−12 in 7 days" (the figures come from scoring.trends)."""

from __future__ import annotations

from collections.abc import Sequence

from scoring.trends import TOLERANCE_DAYS, TREND_WINDOWS, score_trend

__all__ = ["TOLERANCE_DAYS", "TREND_WINDOWS", "arrow", "describe_trend", "score_trend"]

FLAT = 2  # points: smaller moves are noise


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
