"""Median and 90th percentile of a list of figures (None when the list is empty)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def median_p90(values: Sequence[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    median, p90 = np.percentile(np.asarray(values, dtype=float), [50, 90])
    return round(float(median), 2), round(float(p90), 2)


def share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None
