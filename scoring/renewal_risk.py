"""Renewal risk: the probability an account churns at its next renewal, for renewals in view.

A logistic model in each factor's shortfall, (100 - score) / 100; a factor without data counts
the account's overall shortfall (the health score already spreads its weight the same way).
The coefficients live in the trigger configuration; `calibrate` fits them on real outcomes.
"""

from __future__ import annotations

import numpy as np

from scoring.config import FACTORS, TriggerConfig


def shortfalls(factor_scores: np.ndarray, health: np.ndarray) -> np.ndarray:
    """n x 5 shortfalls in FACTORS order from n x 5 factor scores (NaN: no data) and n scores."""
    overall = (100 - health.astype(float)) / 100
    deficits = (100 - factor_scores) / 100
    return np.where(np.isnan(deficits), overall[:, None], deficits)


def churn_probability(deficits: np.ndarray, config: TriggerConfig) -> np.ndarray:
    model = config.renewal_risk
    coefficients = np.array([getattr(model.coefficients, name) for name in FACTORS])
    return 1 / (1 + np.exp(-(model.intercept + deficits @ coefficients)))


def renewal_risk(
    factor_scores: np.ndarray, health: np.ndarray, renewal_days: np.ndarray, config: TriggerConfig
) -> np.ndarray:
    """Churn probability for accounts renewing within the horizon (0..horizon days), NaN otherwise."""
    in_view = (renewal_days >= 0) & (renewal_days <= config.renewal_risk.horizon_days)
    probability = churn_probability(shortfalls(factor_scores, health), config)
    return np.where(in_view, np.round(probability, 3), np.nan)
