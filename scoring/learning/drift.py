"""Drift in a trigger's cards (pure): has a cell's dismiss rate, or its flow of cards, shifted?

Two windowed tests of the last `recent_weeks` weeks against the `before_weeks` weeks before them:
- the dismiss rate, by a two-proportion test: flagged when the difference is both significant
  (two-sided p below `alpha`) and large enough to matter (`min_shift`), with enough cards on
  each side: a trigger that suddenly annoys people (or one they suddenly need);
- the cards a week, by a Poisson test: flagged when the recent weeks bring at least
  `min_rise` more cards a week than the weeks before (one-sided p below `alpha`). Only a rise is
  news: the data changed under the trigger (a noisier segment, a new import) and people will
  feel it before they dismiss it; a fall is what tightening and exceptions are for.
A flag re-runs the proposals for the cell and shows in the tuning message, before any threshold
moves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from scipy import stats


@dataclass(frozen=True, slots=True)
class WeekCount:
    week: date  # the Monday of the week
    dismissed: int
    cards: int


DISMISS_RATE = "dismiss_rate"
VOLUME = "volume"


@dataclass(frozen=True, slots=True)
class Drift:
    since: date  # the first week of the recent window
    before_rate: float  # the dismiss rate, or cards a week (kind VOLUME), before ...
    recent_rate: float  # ... and in the recent weeks
    p_value: float
    kind: str = DISMISS_RATE

    def sentence(self, cell: str) -> str:
        direction = "up" if self.recent_rate > self.before_rate else "down"
        if self.kind == VOLUME:
            return (
                f"{cell}: cards went {direction} from {self.before_rate:.0f} to {self.recent_rate:.0f} a week "
                f"since the week of {self.since.isoformat()} (p = {self.p_value:.3f})"
            )
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
    min_rise: float = 0.15,
    before_weeks: int = 4,
) -> Drift | None:
    """The drift in the latest weeks against the `before_weeks` weeks before them (the dismiss
    rate first), or None. A short reference window keeps the slow, wanted change that learning
    itself brings (exceptions, tighter lines) from hiding a sudden one."""
    ordered = sorted(weeks, key=lambda w: w.week)
    if len(ordered) <= recent_weeks:
        return None
    recent, before = ordered[-recent_weeks:], ordered[:-recent_weeks][-before_weeks:]
    n1, k1 = sum(w.cards for w in before), sum(w.dismissed for w in before)
    n2, k2 = sum(w.cards for w in recent), sum(w.dismissed for w in recent)
    if n1 < min_cards or n2 < min_cards:
        return None
    p1, p2 = k1 / n1, k2 / n2
    if abs(p2 - p1) >= min_shift:
        p_value = two_proportion_p(k1, n1, k2, n2)
        if p_value < alpha:
            return Drift(recent[0].week, p1, p2, p_value)
    return _volume_rise(recent, before, n1, n2, alpha=alpha, min_rise=min_rise)


def _volume_rise(
    recent: Sequence[WeekCount],
    before: Sequence[WeekCount],
    n1: int,
    n2: int,
    *,
    alpha: float,
    min_rise: float,
) -> Drift | None:
    """More cards a week lately than before: a Poisson test of the recent count against the
    weekly mean before, scaled to the recent window."""
    per_week_before = n1 / len(before)
    expected = per_week_before * len(recent)
    if n2 < expected * (1 + min_rise):
        return None
    p_value = float(stats.poisson.sf(n2 - 1, expected))
    if p_value >= alpha:
        return None
    return Drift(recent[0].week, per_week_before, n2 / len(recent), p_value, VOLUME)


def two_proportion_p(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test."""
    pooled = (k1 + k2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:
        return 1.0
    z = abs(k2 / n2 - k1 / n1) / spread
    return math.erfc(z / math.sqrt(2))
