"""Expansion readiness 0-100: seats nearly full on busy days, a growing team, broad adoption, good health.

Computed over a whole FeatureTable at once. NaN for accounts without usage data (no seat use
to read). A part without data (no feature data for breadth) is left out and the other parts'
weights rescaled, as the health score does.
"""

from __future__ import annotations

import numpy as np

from scoring.config import TriggerConfig
from scoring.factors import breadth_scores, safe_ratio, usage_change
from scoring.features import FeatureTable

PARTS = ("utilisation", "growth", "breadth", "health")


def expansion_parts(t: FeatureTable, health: np.ndarray, config: TriggerConfig) -> dict[str, np.ndarray]:
    """Each part 0-100 (NaN without data), by name."""
    rules = config.expansion
    # Seats nearly full means a busy day nearly fills them: the peak of the latest days, not
    # their average, which weekends pull down for every business customer.
    recent_use = np.where(
        t["u_trend_days"] > 0,
        t["u_trend_peak"],
        safe_ratio(t["u_active"], t["u_seats"]),
    )
    span = max(rules.utilisation_full - rules.utilisation_floor, 1e-9)
    _, change, _ = usage_change(t)
    return {
        "utilisation": np.clip((recent_use - rules.utilisation_floor) / span, 0, 1) * 100,
        "growth": np.clip(change / rules.growth_full, 0, 1) * 100,
        "breadth": breadth_scores(t, config),
        "health": health.astype(float),
    }


def expansion_readiness(t: FeatureTable, health: np.ndarray, config: TriggerConfig) -> np.ndarray:
    parts = expansion_parts(t, health, config)
    weights = config.expansion.weights
    total = np.zeros(len(t))
    weight_sum = np.zeros(len(t))
    for name in PARTS:
        value = parts[name]
        present = ~np.isnan(value)
        total += np.where(present, value, 0.0) * getattr(weights, name)
        weight_sum += present * getattr(weights, name)
    readiness = np.floor(np.where(weight_sum > 0, total / np.maximum(weight_sum, 1e-9), 0.0) + 0.5)
    return np.where(t["u_days"] >= config.usage.min_days, readiness, np.nan)
