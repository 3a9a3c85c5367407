"""Drift in how people answer a trigger's cards (pure): has a cell's dismiss rate shifted?

A windowed two-proportion test: the last `recent_weeks` weeks pooled against the weeks before
them. It is flagged when the difference is both significant (two-sided p below `alpha`) and
large enough to matter (`min_shift`), with enough cards on each side. A flag re-runs the
proposals for the cell and shows in the tuning message: a trigger that suddenly annoys people
(or one they suddenly need) is news before any threshold moves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class WeekCount:
    week: date  # the Monday of the week
    dismissed: int
    cards: int


@dataclass(frozen=True, slots=True)
class Drift:
    since: date  # the first week of the recent window
    before_rate: float
    recent_rate: float
    p_value: float

    def sentence(self, cell: str) -> str:
        direction = "up" if self.recent_rate > self.before_rate else "down"
        return (
            f"{cell}: dismissals went {direction} from {self.before_rate:.0%} to {self.recent_rate:.0%} "
            f"since the week of {self.since.isoformat()} (p = {self.p_value:.3f})"
        )


def detect(
    weeks: Sequence[WeekCount],
    *,
    recent_weeks: int = 2,
    alpha: float = 0.01,
    min_shift: float = 0.10,
    min_cards: int = 20,
) -> Drift | None:
    """The drift in the latest weeks against the ones before, or None."""
    ordered = sorted(weeks, key=lambda w: w.week)
    if len(ordered) <= recent_weeks:
        return None
    recent, before = ordered[-recent_weeks:], ordered[:-recent_weeks]
    n1, k1 = sum(w.cards for w in before), sum(w.dismissed for w in before)
    n2, k2 = sum(w.cards for w in recent), sum(w.dismissed for w in recent)
    if n1 < min_cards or n2 < min_cards:
        return None
    p1, p2 = k1 / n1, k2 / n2
    if abs(p2 - p1) < min_shift:
        return None
    p_value = two_proportion_p(k1, n1, k2, n2)
    return Drift(recent[0].week, p1, p2, p_value) if p_value < alpha else None


def two_proportion_p(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test."""
    pooled = (k1 + k2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:
        return 1.0
    z = abs(k2 / n2 - k1 / n1) / spread
    return math.erfc(z / math.sqrt(2))
