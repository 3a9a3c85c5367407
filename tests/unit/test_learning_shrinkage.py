"""Shrinkage towards a trigger's mean, and intervals that cover what they claim."""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np
import pytest
from scipy import stats

from scoring.learning.intervals import jeffreys, wilson
from scoring.learning.shrinkage import fit_beta_prior, posterior


def _binomial(rng: random.Random, n: int, p: float) -> int:
    return sum(rng.random() < p for _ in range(n))


def test_a_small_cell_moves_to_the_mean_and_a_big_one_keeps_its_own_rate() -> None:
    rng = random.Random(3)
    cells = [(_binomial(rng, 40, 0.4), 40) for _ in range(8)]
    small, big = (3, 3), (320, 400)  # 100% of 3 labels; 80% of 400
    prior = fit_beta_prior([*cells, small, big])
    assert prior is not None and 0.35 < prior.mean < 0.55
    shrunk_small = posterior(*small, prior)
    shrunk_big = posterior(*big, prior)
    assert shrunk_small.mean < 0.75  # far from its raw 1.0
    assert shrunk_big.mean == pytest.approx(0.80, abs=0.02)
    assert shrunk_small.high - shrunk_small.low > shrunk_big.high - shrunk_big.low


def test_alike_cells_pool_strongly_and_a_lone_cell_is_not_shrunk() -> None:
    rng = random.Random(8)
    alike = [(_binomial(rng, 30, 0.3), 30) for _ in range(12)]
    prior = fit_beta_prior(alike, max_strength=100)
    assert prior is not None and prior.strength > 30 and prior.mean == pytest.approx(0.3, abs=0.05)
    assert fit_beta_prior([(3, 4)]) is None and fit_beta_prior([(3, 4), (0, 0)]) is None
    alone = posterior(3, 4, None)  # Jeffreys: (3 + .5) / (4 + 1)
    assert alone.mean == pytest.approx(0.7)


@pytest.mark.parametrize("interval", [wilson, jeffreys])
def test_the_intervals_cover_the_true_rate(interval: Callable[[float, float], tuple[float, float]]) -> None:
    """Exact coverage: the chance, over every count k, that the interval holds p."""
    for p in (0.05, 0.3, 0.6, 0.9):
        for n in (8, 30, 120):
            bounds = [interval(k, n) for k in range(n + 1)]
            holds = np.array([low <= p <= high for low, high in bounds])
            coverage = float(stats.binom.pmf(np.arange(n + 1), n, p) @ holds)
            assert coverage >= 0.91, (p, n, coverage)
    assert wilson(0, 0) == (0.0, 1.0) == jeffreys(0, 0)


def test_the_shrunk_interval_covers_cells_drawn_around_the_trigger_mean() -> None:
    """Empirical Bayes intervals keep their coverage on average over a trigger's cells."""
    rng = np.random.default_rng(5)
    covered = total = 0
    for _ in range(40):
        truth = rng.beta(6, 10, size=15)  # cells scattered around 0.375
        sizes = rng.integers(3, 60, size=15)
        counts = rng.binomial(sizes, truth)
        prior = fit_beta_prior(list(zip(counts.tolist(), sizes.tolist(), strict=True)))
        for k, n, p in zip(counts, sizes, truth, strict=True):
            cell = posterior(int(k), int(n), prior)
            covered += cell.low <= p <= cell.high
            total += 1
    assert covered / total >= 0.90
