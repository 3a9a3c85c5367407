"""Calibrate the health score on renewal outcomes: fit factor weights, band cut-offs and the
renewal-risk model, and say how well they would have predicted churn.

Pure (numpy and scikit-learn; no database). The backtest is time-ordered: the model is fitted
on the earlier renewals and judged on the later ones, so no future leaks into the figures.
The fit is a logistic regression of churn on each factor's shortfall, (100 - score) / 100,
with coefficients held non-negative (a worse factor never lowers the risk); the normalised
coefficients are the proposed weights, the model itself the proposed renewal-risk model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from scoring.config import FACTORS

MIN_SAMPLES = 50
MIN_FIT_SAMPLES = 20


@dataclass(frozen=True, slots=True)
class OutcomeSample:
    account_id: str
    segment: str
    renewal_date: date
    churned: bool
    factors: Mapping[str, float | None]  # factor score 0-100 as of the feature date; None: no data
    score: float  # the health score under the current configuration at that date


def deficit_matrix(samples: Sequence[OutcomeSample]) -> np.ndarray:
    """n x 5 shortfalls in FACTORS order; a missing factor takes the sample's overall shortfall
    (what the score does when it spreads a missing factor's weight over the others)."""
    rows = []
    for sample in samples:
        overall = (100 - sample.score) / 100
        rows.append(
            [
                overall if (value := sample.factors.get(name)) is None else (100 - value) / 100
                for name in FACTORS
            ]
        )
    return np.array(rows, dtype=float).reshape(len(samples), len(FACTORS))


@dataclass(frozen=True, slots=True)
class ChurnModel:
    intercept: float
    coefficients: dict[str, float]  # per factor, >= 0

    def probability(self, deficits: np.ndarray) -> np.ndarray:
        coefficients = np.array([self.coefficients[name] for name in FACTORS])
        return 1 / (1 + np.exp(-(self.intercept + deficits @ coefficients)))


def fit_churn_model(deficits: np.ndarray, churned: np.ndarray) -> ChurnModel:
    """Logistic regression with mild L2; a factor whose coefficient comes out negative is dropped
    (held at 0) and the rest refitted, until none is negative."""
    y = np.asarray(churned, dtype=int)
    if len(y) < MIN_FIT_SAMPLES:
        raise ValueError(f"need at least {MIN_FIT_SAMPLES} outcomes to fit, got {len(y)}")
    if len(set(y.tolist())) < 2:
        raise ValueError("every outcome is the same (all churned or all renewed): nothing to learn from")
    kept = list(range(len(FACTORS)))
    while True:
        model = LogisticRegression(C=10.0, max_iter=1000).fit(deficits[:, kept], y)
        negative = [k for k, coefficient in zip(kept, model.coef_[0], strict=True) if coefficient < 0]
        if not negative or len(kept) == len(negative):
            break
        kept = [k for k in kept if k not in negative]
    coefficients = dict.fromkeys(FACTORS, 0.0)
    for k, coefficient in zip(kept, model.coef_[0], strict=True):
        coefficients[FACTORS[k]] = max(0.0, float(coefficient))
    return ChurnModel(float(model.intercept_[0]), coefficients)


def weights_from_model(model: ChurnModel) -> dict[str, float]:
    """The coefficients normalised to sum to 1, at 3 decimals (the largest absorbs rounding)."""
    total = sum(model.coefficients.values())
    if total <= 0:
        raise ValueError("no factor predicts churn: every coefficient is zero")
    weights = {name: round(value / total, 3) for name, value in model.coefficients.items()}
    largest = max(weights, key=lambda name: weights[name])
    weights[largest] = round(weights[largest] + 1 - sum(weights.values()), 3)
    return weights


@dataclass(frozen=True, slots=True)
class Metrics:
    samples: int
    churned: int
    base_rate: float
    roc_auc: float
    pr_auc: float
    brier: float
    top_decile_lift: float


def evaluate(churned: np.ndarray, probability: np.ndarray) -> Metrics:
    y = np.asarray(churned, dtype=int)
    p = np.asarray(probability, dtype=float)
    n, positives = len(y), int(y.sum())
    base = positives / n if n else 0.0
    both = 0 < positives < n
    top = np.argsort(-p, kind="stable")[: max(1, math.ceil(n / 10))]
    lift = float(y[top].mean() / base) if base > 0 else float("nan")
    return Metrics(
        samples=n,
        churned=positives,
        base_rate=base,
        roc_auc=float(roc_auc_score(y, p)) if both else float("nan"),
        pr_auc=float(average_precision_score(y, p)) if both else float("nan"),
        brier=float(brier_score_loss(y, p)),
        top_decile_lift=lift,
    )


@dataclass(frozen=True, slots=True)
class BandRate:
    band: str
    samples: int
    churned: int
    rate: float


def rescore(deficits: np.ndarray, weights: Mapping[str, float]) -> np.ndarray:
    w = np.array([weights[name] for name in FACTORS], dtype=float)
    w = w / w.sum()
    return np.clip(100 * (1 - deficits @ w), 0, 100)


def band_cutoffs_from_model(model: ChurnModel, base_rate: float) -> tuple[int, int]:
    """(yellow, green) where the fitted model puts churn at twice and at half the base rate.

    With weights normalised from the coefficients, logit(p) = intercept + k x (100 - score) / 100,
    k the coefficients' sum, so each probability maps to one score: Red means "churns at least
    twice as often as a typical account", Green "at most half as often".
    """
    k = sum(model.coefficients.values())
    if k <= 0 or not 0 < base_rate < 0.5:
        raise ValueError("the model or the base rate cannot place bands")

    def score_at(probability: float) -> int:
        shortfall = (math.log(probability / (1 - probability)) - model.intercept) / k
        return round(100 * (1 - shortfall))

    yellow = min(98, max(1, score_at(2 * base_rate)))
    return yellow, min(99, max(yellow + 1, score_at(base_rate / 2)))


def band_cutoffs(scores: np.ndarray, churned: np.ndarray, *, min_share: float = 0.10) -> tuple[int, int]:
    """(yellow, green): Red is score < yellow, Green is score >= green.

    yellow is the highest cut-off below which churn runs at least twice the base rate, with at
    least `min_share` of accounts below it; green the lowest cut-off above yellow at or above
    which churn runs at most half the base rate, with at least `min_share` of accounts there.
    Without such a cut-off, the 25th / 60th percentile of the scores stands in.
    """
    y = np.asarray(churned, dtype=float)
    n, base = len(y), float(y.mean()) if len(y) else 0.0
    yellow = None
    for cut in range(99, 0, -1):
        below = scores < cut
        if below.sum() >= min_share * n and base > 0 and y[below].mean() >= 2 * base:
            yellow = cut
            break
    if yellow is None:
        yellow = int(np.clip(round(float(np.percentile(scores, 25))), 1, 98))
    green = None
    for cut in range(yellow + 1, 100):
        above = scores >= cut
        if above.sum() >= min_share * n and y[above].mean() <= 0.5 * base:
            green = cut
            break
    if green is None:
        green = int(np.clip(round(float(np.percentile(scores, 60))), yellow + 1, 99))
    return yellow, green


def churn_by_band(scores: np.ndarray, churned: np.ndarray, yellow: int, green: int) -> tuple[BandRate, ...]:
    y = np.asarray(churned, dtype=int)
    masks = (
        ("red", scores < yellow),
        ("yellow", (scores >= yellow) & (scores < green)),
        ("green", scores >= green),
    )
    return tuple(
        BandRate(band, int(mask.sum()), int(y[mask].sum()), float(y[mask].mean()) if mask.any() else 0.0)
        for band, mask in masks
    )


def bands_ordered(rates: Sequence[BandRate]) -> bool:
    """Churn runs Red > Yellow > Green, and every band holds accounts."""
    by_band = {rate.band: rate for rate in rates}
    if any(by_band[band].samples == 0 for band in ("red", "yellow", "green")):
        return False
    return by_band["red"].rate > by_band["yellow"].rate > by_band["green"].rate
