"""Intervals for a proportion from few observations: Wilson and Jeffreys (equal-tailed).

Both keep their promised coverage far better than the textbook normal interval when a cell
holds a handful of labels or a rate near 0 or 1 (Brown, Cai & DasGupta 2001).
"""

from __future__ import annotations

import math

from scipy import stats

DEFAULT_LEVEL = 0.95


def wilson(successes: float, trials: float, *, level: float = DEFAULT_LEVEL) -> tuple[float, float]:
    """Wilson score interval; (0, 1) when there are no trials. Counts may be weighted (floats)."""
    if trials <= 0:
        return 0.0, 1.0
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return max(0.0, centre - half), min(1.0, centre + half)


def beta_interval(alpha: float, beta: float, *, level: float = DEFAULT_LEVEL) -> tuple[float, float]:
    """The equal-tailed interval of Beta(alpha, beta)."""
    tail = (1 - level) / 2
    low, high = stats.beta.ppf([tail, 1 - tail], alpha, beta)
    return float(low), float(high)


def jeffreys(successes: float, trials: float, *, level: float = DEFAULT_LEVEL) -> tuple[float, float]:
    """Jeffreys interval: the Beta(1/2, 1/2) posterior's, with the usual fix at 0 and n."""
    if trials <= 0:
        return 0.0, 1.0
    low, high = beta_interval(successes + 0.5, trials - successes + 0.5, level=level)
    return (0.0 if successes <= 0 else low), (1.0 if successes >= trials else high)
