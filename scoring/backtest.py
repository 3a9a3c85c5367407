"""How well calibration's fit would have predicted churn: the backtest behind its figures.

Time-ordered when the renewals allow it: fitted on the earlier renewals, judged on the later
ones, so nothing from the future leaks into the figures. When they do not (many companies renew
every contract on one date, or a few early renewals stand before one big cohort), a stratified
k-fold cross-validation stands in: every renewal is judged once, by a model fitted on the other
folds, and each fold keeps the overall churn share. The report says which one ran, and why.

Pure (numpy and scikit-learn; no database).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from sklearn.model_selection import StratifiedKFold

from scoring.calibration import MIN_FIT_SAMPLES, Metrics, evaluate, fit_churn_model

TIME_ORDERED = "time_ordered"
STRATIFIED_CV = "stratified_cv"
MAX_FOLDS = 5
CV_SEED = 0  # the folds are shuffled with a fixed seed: the same outcomes give the same figures


@dataclass(frozen=True, slots=True)
class Backtest:
    kind: str  # TIME_ORDERED or STRATIFIED_CV
    reason: str  # one sentence: why this kind
    split_date: date | None  # time-ordered: judged on the renewals from this day on
    folds: int | None  # cross-validation: how many folds
    train_samples: int  # renewals a model was fitted on (per fold, about, for cross-validation)
    test_samples: int  # renewals the figures judge
    test_metrics: Metrics  # the fitted model's predictions on renewals it did not see
    baseline_metrics: Metrics  # the current score on the same renewals

    def describe(self) -> str:
        """What ran, for the report's first lines."""
        if self.kind == TIME_ORDERED:
            assert self.split_date is not None
            return (
                f"Backtest: time-ordered. Fitted on {self.train_samples:,} renewals before "
                f"{self.split_date.isoformat()}, judged on the {self.test_samples:,} from then on."
            )
        return (
            f"Backtest: stratified {self.folds}-fold cross-validation. Each of the {self.test_samples:,} "
            f"renewals was judged by a model fitted on the other folds (about {self.train_samples:,} "
            "renewals), each fold keeping the overall churn share."
        )


def backtest(
    x: np.ndarray,
    y: np.ndarray,
    renewal_dates: Sequence[date],
    current: np.ndarray,
    *,
    test_share: float,
) -> Backtest:
    """`x`, `y`, `renewal_dates` and `current` (the current score's shortfall, a stand-in for
    its churn probability) are in renewal-date order."""
    n = len(y)
    split_date = renewal_dates[min(n - 1, int(n * (1 - test_share)))]
    test = np.array([day >= split_date for day in renewal_dates])
    why_not = _why_not_in_time_order(renewal_dates, y, test, split_date, test_share)
    if why_not is None:
        trained = fit_churn_model(x[~test], y[~test])
        return Backtest(
            kind=TIME_ORDERED,
            reason="Renewals are spread over time, so the model was fitted on the earlier ones and "
            "judged on the later ones: nothing from the future leaks into the figures.",
            split_date=split_date,
            folds=None,
            train_samples=int((~test).sum()),
            test_samples=int(test.sum()),
            test_metrics=evaluate(y[test], trained.probability(x[test])),
            baseline_metrics=evaluate(y[test], current[test]),
        )
    return cross_validate(x, y, current, why=why_not)


def _why_not_in_time_order(
    renewal_dates: Sequence[date], y: np.ndarray, test: np.ndarray, split_date: date, test_share: float
) -> str | None:
    """Why the renewals cannot be split in time (a clause), or None when they can."""
    n, before = len(y), int((~test).sum())
    if len(set(renewal_dates)) == 1:
        return f"every renewal falls on {split_date.isoformat()}, so none is earlier than another to fit on"
    # Fitting on a sliver of the renewals would judge a model far weaker than the one proposed.
    wanted = max(MIN_FIT_SAMPLES, math.ceil((1 - test_share) * n / 2))
    if before < wanted:
        return (
            f"only {before:,} renewals fall before {split_date.isoformat()} ({n - before:,} on or after "
            f"it), too few earlier ones to fit on ({wanted:,} wanted)"
        )
    for part, mask in (
        (f"the {before:,} renewals before", ~test),
        (f"the {n - before:,} renewals from", test),
    ):
        if len(set(y[mask].tolist())) < 2:
            outcome = "churned" if y[mask].all() else "renewed"
            return f"{part} {split_date.isoformat()} are all {outcome}, so a split in time cannot judge"
    return None


def cross_validate(x: np.ndarray, y: np.ndarray, current: np.ndarray, *, why: str) -> Backtest:
    """Out-of-fold predictions from a stratified k-fold, k = 5 or the smaller class's size."""
    churned = int(y.sum())
    folds = min(MAX_FOLDS, churned, len(y) - churned)
    if folds < 2:
        label, count = ("churned", churned) if churned < len(y) - churned else ("renewed", len(y) - churned)
        raise ValueError(
            f"a time-ordered backtest is not possible ({why}), and cross-validation needs at least 2 "
            f"churned and 2 renewed renewals: only {count} {label}"
        )
    predicted = np.zeros(len(y), dtype=float)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=CV_SEED)
    for train, held_out in splitter.split(x, y):
        predicted[held_out] = fit_churn_model(x[train], y[train]).probability(x[held_out])
    return Backtest(
        kind=STRATIFIED_CV,
        reason=f"A split in time was not possible: {why}.",
        split_date=None,
        folds=folds,
        train_samples=round(len(y) * (folds - 1) / folds),
        test_samples=len(y),
        test_metrics=evaluate(y, predicted),
        baseline_metrics=evaluate(y, current),
    )
