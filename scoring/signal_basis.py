"""One signal's columns for the calibration fit: a piecewise-linear ("hat") basis.

Knots sit at the signal's quantiles; each coefficient is the curve's height at one knot
(knot 0 is the reference, height 0), and a last column carries the height for samples
without the figure. A curve is therefore read straight off the coefficients. Pure: numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KNOT_QUANTILES = (0.02, 0.25, 0.5, 0.75, 0.98)


@dataclass(frozen=True)
class Basis:
    """One signal's columns: hats at knots 1..m (knot 0 is the reference) and a missing flag."""

    signal: str
    knots: np.ndarray
    has_missing: bool

    @property
    def width(self) -> int:
        return len(self.knots) - 1 + int(self.has_missing)

    def columns(self, values: np.ndarray) -> np.ndarray:
        present = ~np.isnan(values)
        x = np.clip(np.nan_to_num(values, nan=float(self.knots[0])), self.knots[0], self.knots[-1])
        out = np.zeros((len(values), self.width), dtype=np.float64)
        for j in range(1, len(self.knots)):
            out[:, j - 1] = _hat(x, self.knots, j)
        out[~present, : len(self.knots) - 1] = 0.0
        if self.has_missing:
            out[:, -1] = ~present
        return out

    def curve(self, coefficients: np.ndarray) -> tuple[np.ndarray, float]:
        """(height at each knot, height when missing) for this basis's coefficients."""
        heights = np.concatenate([[0.0], coefficients[: len(self.knots) - 1]])
        return heights, float(coefficients[-1]) if self.has_missing else 0.0


def _hat(x: np.ndarray, knots: np.ndarray, j: int) -> np.ndarray:
    """The piecewise-linear function that is 1 at knots[j] and 0 at its neighbours."""
    out = np.zeros_like(x)
    left = knots[j - 1]
    rising = (x >= left) & (x <= knots[j])
    out[rising] = (x[rising] - left) / (knots[j] - left)
    if j + 1 < len(knots):
        right = knots[j + 1]
        falling = (x > knots[j]) & (x <= right)
        out[falling] = (right - x[falling]) / (right - knots[j])
    else:
        out[x >= knots[j]] = 1.0
    return out


def make_basis(signal: str, values: np.ndarray) -> Basis | None:
    """Knots at the signal's quantiles (fewer when it takes few values); None when it is
    constant where present, or present on under 1% of the samples. Values may be float32
    (a large book's samples): the knots are taken in float64, so they round to what was
    measured (0.3, not 0.30000001)."""
    present = values[~np.isnan(values)].astype(np.float64, copy=False)
    if len(present) < max(10, 0.01 * len(values)):
        return None
    knots = np.unique(np.round(np.quantile(present, KNOT_QUANTILES), 6))
    if len(knots) < 2:
        return None
    missing = np.isnan(values)
    has_missing = bool(0.005 * len(values) <= missing.sum() <= len(values) - 10)
    return Basis(signal, knots, has_missing)
