"""How signal calibration is judged: predictions on samples the fit did not see.

Time-ordered when the samples allow it: fitted on the samples whose outcome was known before a
split day, judged on the samples from that day on. When they do not (every renewal in one
month, or label windows that all reach past any split), a 5-fold cross-validation stands in,
grouped by account (an account's samples are judged together, never by a model that saw the
same account) and keeping each fold's churn share. Beside the calibrated score, a reference
model is fitted on the same signals without the explainability constraints.

The signal values are read through row indices (`rows`: the rows of `values` in time order),
never copied whole: on a large book (1.2M samples x 44 signals) the matrix is most of the
memory calibration uses. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedGroupKFold

from scoring.config import SignalModel
from scoring.signal_fit import fit_signals, to_signal_model
from scoring.signal_score import most_points, shape_points

TEST_SHARE = 0.35
MIN_SIDE_SAMPLES = 100
MIN_SIDE_CHURNED = 10
REFERENCE_ROWS = 300_000
PREDICT_ROWS = 100_000  # the reference predicts a block of this many at a time (a float64 copy)
FOLDS = 5


@dataclass(frozen=True)
class Backtested:
    test: np.ndarray  # the judged rows
    proposed: np.ndarray  # the calibrated score's churn probability on them
    reference: np.ndarray  # the reference model's churn probability on them
    found_signals: bool  # whether the fit (every fold's, in cross-validation) kept any signal
    split_day: str | None
    train_samples: int
    text: str  # what ran, in words
    notes: tuple[str, ...]


def days(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype="datetime64[D]")


def split_in_time(
    sample_days: np.ndarray, label_ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.datetime64]:
    """(train rows, test rows, split day) for samples in time order."""
    d = days(sample_days)
    split = np.sort(d)[min(len(d) - 1, int(len(d) * (1 - TEST_SHARE)))]
    return np.flatnonzero(days(label_ends) < split), np.flatnonzero(d >= split), split


def _enough(y: np.ndarray) -> bool:
    return len(y) >= MIN_SIDE_SAMPLES and MIN_SIDE_CHURNED <= int(y.sum()) <= len(y) - MIN_SIDE_CHURNED


def _all_rows(values: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
    return np.arange(len(values)) if rows is None else np.asarray(rows)


@dataclass(frozen=True)
class Reference:
    model: HistGradientBoostingClassifier
    columns: np.ndarray  # the signals that vary in training (a constant one tells it nothing)

    def probability(self, values: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Churn probability for `rows` of `values` (default: every row), a block at a time."""
        rows = _all_rows(values, rows)
        blocks = [
            self.model.predict_proba(values[np.ix_(rows[start : start + PREDICT_ROWS], self.columns)])[:, 1]
            for start in range(0, len(rows), PREDICT_ROWS)
        ]
        return np.concatenate(blocks) if blocks else np.zeros(0)


def reference_model(
    values: np.ndarray, y: np.ndarray, seed: int = 0, *, rows: np.ndarray | None = None
) -> Reference:
    """Gradient boosting on the same signals: interactions, any shape, no additivity. `rows`:
    the rows of `values` behind `y` (default: every row)."""
    source = _all_rows(values, rows)
    columns = []
    for k in range(values.shape[1]):
        column = values[source, k]
        if len(np.unique(column[~np.isnan(column)])) >= 2:
            columns.append(k)
    picked = np.arange(len(y))
    if len(picked) > REFERENCE_ROWS:
        picked = np.sort(np.random.default_rng(seed).choice(picked, REFERENCE_ROWS, replace=False))
    model = HistGradientBoostingClassifier(
        max_iter=300, learning_rate=0.06, max_leaf_nodes=15, min_samples_leaf=40,
        l2_regularization=1.0, early_stopping=len(picked) >= 2000, validation_fraction=0.15, random_state=seed,
    )  # fmt: skip
    kept = np.array(columns or [0], dtype=int)
    return Reference(model.fit(values[np.ix_(source[picked], kept)], y[picked]), kept)


def model_scores(
    model: SignalModel, values: np.ndarray, names: list[str], *, rows: np.ndarray | None = None
) -> np.ndarray:
    """The calibrated score (unrounded) for raw signal values, as `scoring.signal_score` does;
    for `rows` of `values` only when given."""
    column = {name: k for k, name in enumerate(names)}
    total_most = sum(most_points(shape) for shape in model.shapes) or 1.0
    lost = np.zeros(len(values) if rows is None else len(rows))
    for shape in model.shapes:
        k = column[shape.signal]
        lost += shape_points(shape, values[:, k] if rows is None else values[rows, k])
    return 100 - lost * 100 / total_most


def model_probability(model: SignalModel, scores: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-(model.intercept + model.per_point * (100 - scores))))


def _fit_and_predict(
    values: np.ndarray,
    source: np.ndarray,
    y: np.ndarray,
    names: list[str],
    train: np.ndarray,
    test: np.ndarray,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, bool, tuple[str, ...]]:
    """`train` and `test` are positions in time order; `source[i]` is the row of `values` there."""
    fit = fit_signals(values, y[train], names, seed=seed, rows=source[train])
    reference = reference_model(values, y[train], seed, rows=source[train]).probability(values, source[test])
    if not fit.signals:
        return np.full(len(test), y[train].mean()), reference, False, fit.notes
    model = to_signal_model(fit, findings={}, horizon_days=1, fitted_on="backtest")
    scores = model_scores(model, values, names, rows=source[test])
    return model_probability(model, scores), reference, True, fit.notes


def backtest(
    values: np.ndarray,
    y: np.ndarray,
    names: list[str],
    sample_days: np.ndarray,
    label_ends: np.ndarray,
    accounts: np.ndarray,
    *,
    seed: int = 0,
    rows: np.ndarray | None = None,
) -> Backtested:
    """Samples in time order: `y`, `sample_days`, `label_ends` and `accounts` are, and `rows`
    holds the row of `values` behind each (default: `values` is in that order too). The judged
    `test` positions are in that order. Raises ValueError when neither kind can judge."""
    source = _all_rows(values, rows)
    if len(source) != len(y):
        raise ValueError(f"backtest: {len(source)} rows of values for {len(y)} labels")
    train, test, split = split_in_time(sample_days, label_ends)
    if _enough(y[train]) and _enough(y[test]):
        proposed, reference, found, notes = _fit_and_predict(values, source, y, names, train, test, seed)
        return Backtested(
            test, proposed, reference, found, str(split), len(train),
            f"Backtest: time-ordered. Fitted on the {len(train):,} samples whose outcome was known before "
            f"{split}, judged on the {len(test):,} from then on.",
            notes,
        )  # fmt: skip
    why = (
        f"a split in time was not possible ({int(y[train].sum())} churned of {len(train):,} samples with an outcome "
        f"known before {split}, {int(y[test].sum())} of {len(test):,} from then on)"
    )
    folds = min(FOLDS, int(y.sum()), int(len(y) - y.sum()), len(set(accounts.tolist())))
    if folds < 2:
        raise ValueError(f"{why}, and cross-validation needs at least 2 churned and 2 renewed samples")
    proposed = np.zeros(len(y))
    reference = np.zeros(len(y))
    found_all = True
    fold_notes: tuple[str, ...] = ()
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    # The splitter reads only the number of samples from its first argument.
    for fold_train, held_out in splitter.split(np.zeros((len(y), 1)), y, groups=accounts):
        p, r, found, fold_notes = _fit_and_predict(values, source, y, names, fold_train, held_out, seed)
        proposed[held_out], reference[held_out] = p, r
        found_all = found_all and found
    return Backtested(
        np.arange(len(y)), proposed, reference, found_all, None, round(len(y) * (folds - 1) / folds),
        f"Backtest: {folds}-fold cross-validation grouped by account, because {why}. Each of the "
        f"{len(y):,} samples was judged by a model fitted on the other folds.",
        fold_notes,
    )  # fmt: skip
