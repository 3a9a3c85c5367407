"""Small cells lie: shrink each cell's rate towards its trigger's mean.

A beta-binomial prior is fitted across one trigger's cells (segment ×
week): its mean is the trigger's rate, its strength (alpha + beta, in labels) how alike the
cells are. Each cell's posterior Beta(alpha + k, beta + n − k) then sits between its own rate
and the mean, by how many labels it has against the prior's strength: a cell of 3 labels moves
most of the way to the mean, one of 300 hardly at all. The strength is capped, so the prior
never counts for more than `max_strength` labels, and with too few cells to fit there is no
shrinkage (the Jeffreys prior).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from scoring.learning.intervals import DEFAULT_LEVEL, beta_interval

DEFAULT_MAX_STRENGTH = 100.0
MIN_STRENGTH = 0.5


@dataclass(frozen=True, slots=True)
class BetaPrior:
    alpha: float
    beta: float

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    @property
    def strength(self) -> float:
        """How many labels the prior counts for."""
        return self.alpha + self.beta


JEFFREYS = BetaPrior(0.5, 0.5)


@dataclass(frozen=True, slots=True)
class Posterior:
    mean: float
    low: float
    high: float


def fit_beta_prior(
    cells: Sequence[tuple[float, float]], *, max_strength: float = DEFAULT_MAX_STRENGTH
) -> BetaPrior | None:
    """The beta-binomial prior of a trigger's cells, each (successes, trials); None with fewer
    than two cells holding labels (nothing to learn the spread from). Weighted counts are
    rounded to whole labels for the fit."""
    used = [(round(k), round(n)) for k, n in cells if round(n) > 0]
    if len(used) < 2:
        return None
    k = np.array([min(max(s, 0), n) for s, n in used])
    n = np.array([n for _, n in used])
    pooled = (k.sum() + 0.5) / (n.sum() + 1.0)

    def negative_log_likelihood(x: np.ndarray) -> float:
        mean = 1.0 / (1.0 + math.exp(-x[0]))
        strength = math.exp(x[1])
        fit = float(stats.betabinom.logpmf(k, n, mean * strength, (1 - mean) * strength).sum())
        # The hyperprior on (logit mean, log strength): uniform mean, strength density ∝ strength⁻².
        return -fit + x[1] - math.log(mean * (1 - mean))

    start = np.array([math.log(pooled / (1 - pooled)), math.log(min(10.0, max_strength))])
    bounds = [(-8.0, 8.0), (math.log(MIN_STRENGTH), math.log(max_strength))]
    fitted = optimize.minimize(negative_log_likelihood, start, method="L-BFGS-B", bounds=bounds)
    mean = 1.0 / (1.0 + math.exp(-float(fitted.x[0])))
    strength = math.exp(float(fitted.x[1]))
    return BetaPrior(mean * strength, (1 - mean) * strength)


def posterior(
    successes: float, trials: float, prior: BetaPrior | None, *, level: float = DEFAULT_LEVEL
) -> Posterior:
    """The cell's rate under the prior (Jeffreys when None): mean and equal-tailed interval."""
    base = prior or JEFFREYS
    alpha = base.alpha + max(0.0, successes)
    beta = base.beta + max(0.0, trials - successes)
    low, high = beta_interval(alpha, beta, level=level)
    return Posterior(alpha / (alpha + beta), low, high)
