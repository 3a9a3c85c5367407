"""Fit one points curve per signal on a company's own outcomes: the calibrated score.

The model is additive, so every point of the score is accounted for: the churn log-odds are a
sum of one curve per signal. Each curve is piecewise linear between knots at the signal's
quantiles (a "hat" basis: each coefficient is the curve's height at one knot), with its own
height for accounts without the figure. Four steps:

1. Select: an L1-penalised logistic regression over every signal's knots keeps the signals
   that predict churn (the penalty picked on later samples by the one-standard-error rule, so
   the sparser model wins a tie); a signal then stays only if its knots pass a Wald test.
2. Direction: the curve's rise from the first knot to the last, with its standard error. A
   signal the hand-set score already uses may keep or change its weight when the interval
   excludes zero (95%), but turning its direction round needs 99.9%: a flip changes what
   the card tells a CSM, so it must be sure.
3. Shape: monotone unless the data shows a turn (the distance from the curve to its monotone
   projection, tested at 0.1%); a monotone curve is the projection, its size refitted.
4. Points: each curve shifted so its best value costs 0 and scaled so the most any account
   can lose is 100. logit(churn) = intercept + per_point x points lost.

Pure: numpy, scipy and scikit-learn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import stats
from sklearn.isotonic import isotonic_regression
from sklearn.linear_model import LogisticRegression

from scoring.config import SignalModel, SignalShape
from scoring.signal_basis import Basis, make_basis
from scoring.signals import FIXED_NAMES, HIGHER_IS_WORSE, spec_for

SELECTION_ROWS = 40_000  # the L1 path runs on at most this many samples (the latest kept whole)
FIT_ROWS = 300_000  # the refit and its covariance on at most this many
INFO_CHUNK = 16_384  # rows per block when summing the Fisher information (bounds its memory)
WALD_ALPHA = 0.01  # a signal's knots, together, at this level (Bonferroni over the candidates)
WEIGHT_Z = stats.norm.ppf(0.975)  # 95%: a signal's direction is learned
FLIP_Z = stats.norm.ppf(0.9995)  # 99.9%: enough to turn round the hand-set score's direction
TURN_ALPHA = 0.001  # a non-monotone shape is kept only at this level
L1_CS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.3, 1.0)


@dataclass(frozen=True)
class FittedSignal:
    signal: str
    knots: list[float]
    heights: list[float]  # log-odds at each knot (knot 0 at 0 before shifting)
    missing_height: float
    direction: int  # +1: the curve rises (more of it, more churn); -1 falls; 0: a turn
    rise: float  # the last knot's height minus the first's
    rise_se: float
    flipped: bool  # against the hand-set score's direction
    turn: bool


@dataclass(frozen=True)
class SignalFit:
    intercept: float  # log-odds with every curve at knot 0
    signals: tuple[FittedSignal, ...]
    candidates: int  # signals considered
    notes: tuple[str, ...] = field(default=())  # held back, and why

    def log_odds(self, values: np.ndarray, names: Sequence[str]) -> np.ndarray:
        column = {name: k for k, name in enumerate(names)}
        out = np.full(len(values), self.intercept)
        for fitted in self.signals:
            out += curve_at(fitted, values[:, column[fitted.signal]])
        return out


def curve_at(fitted: FittedSignal, values: np.ndarray) -> np.ndarray:
    present = ~np.isnan(values)
    out = np.full(len(values), fitted.missing_height)
    out[present] = np.interp(values[present], fitted.knots, fitted.heights)
    return out


def _subsample(n: int, cap: int, y: np.ndarray, seed: int) -> np.ndarray:
    """Row indices: all when n <= cap, else every churned row and a random share of the rest
    (up to the cap) — in time order. The kept rows' weights undo the sampling."""
    if n <= cap:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    positives = np.flatnonzero(y == 1)
    negatives = np.flatnonzero(y == 0)
    keep_negatives = max(cap - len(positives), cap // 2)
    positives = positives if len(positives) <= cap // 2 else rng.choice(positives, cap // 2, replace=False)
    chosen = rng.choice(negatives, min(len(negatives), keep_negatives), replace=False)
    return np.sort(np.concatenate([positives, chosen]))


def _weights(rows: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Inverse sampling weights so a subsample keeps the full data's churn rate."""
    w = np.ones(len(rows))
    for label in (0, 1):
        total = float((y == label).sum())
        kept = float((y[rows] == label).sum())
        if kept:
            w[y[rows] == label] = total / kept
    return w * len(rows) / w.sum()


def fit_signals(
    values: np.ndarray,
    y: np.ndarray,
    names: Sequence[str],
    *,
    seed: int = 0,
    rows: np.ndarray | None = None,
) -> SignalFit:
    """The calibrated curves for samples in time order (`values` n x S, float64 or float32;
    `y` 0/1). `rows`: the rows of `values` to fit on, in time order, one per entry of `y`
    (default: every row, as they are), so a caller never copies the whole matrix to reorder
    or split it."""
    y = np.asarray(y, dtype=int)
    rows = np.arange(len(y)) if rows is None else np.asarray(rows)
    if len(rows) != len(y):
        raise ValueError(f"fit_signals: {len(rows)} rows for {len(y)} labels")
    bases = {}
    for k, name in enumerate(names):
        basis = make_basis(name, values[rows, k])
        if basis is not None:
            bases[name] = (k, basis)
    notes: list[str] = []
    if not bases:
        return SignalFit(float(_logit(y.mean())), (), 0, ("no signal varies across the samples",))
    selected = _select(values, rows, y, bases, seed)
    kept, fit, cov, design_names = _refit_significant(values, rows, y, bases, selected, seed)
    fitted: list[FittedSignal] = []
    for name in kept:
        k, basis = bases[name]
        cols = design_names[name]
        beta, sigma = fit[cols], cov[np.ix_(cols, cols)]
        signal = _shape(name, basis, beta, sigma)
        if signal is None:
            notes.append(
                f"{name}: the data points against the hand-set direction, but not surely enough to flip it"
            )
            continue
        if not basis.has_missing:
            # Never seen without a figure: "no figure" (a migration, a feed gap) reads as typical.
            column = values[rows, k]
            typical = float(np.mean(curve_at(signal, column[~np.isnan(column)])))
            signal = replace(signal, missing_height=typical)
        fitted.append(signal)
    if not fitted:
        return SignalFit(float(_logit(y.mean())), (), len(bases), tuple(notes))
    return _rescale(values, rows, y, names, fitted, len(bases), tuple(notes), seed)


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _design(
    values: np.ndarray, bases: dict[str, tuple[int, Basis]], order: Sequence[str], rows: np.ndarray
) -> tuple[np.ndarray, dict[str, list[int]]]:
    """The basis columns of the signals in `order` for `rows` of `values`, filled in place
    (one n x k matrix, not its blocks and then their copy)."""
    out = np.empty((len(rows), sum(bases[name][1].width for name in order)))
    where, start = {}, 0
    for name in order:
        k, basis = bases[name]
        out[:, start : start + basis.width] = basis.columns(values[rows, k])
        where[name] = list(range(start, start + basis.width))
        start += basis.width
    return out, where


def _select(
    values: np.ndarray, source: np.ndarray, y: np.ndarray, bases: dict[str, tuple[int, Basis]], seed: int
) -> list[str]:
    """The signals an L1 path keeps at the sparsest penalty within one standard error of the
    best log-loss on the later quarter of (a subsample of) the samples. `source[i]` is the row
    of `values` behind `y[i]`."""
    rows = _subsample(len(y), SELECTION_ROWS, y, seed)
    order = list(bases)
    x, where = _design(values, bases, order, source[rows])
    w = _weights(rows, y)
    yy = y[rows]
    cut = int(len(rows) * 0.75)
    if yy[:cut].min() == yy[:cut].max() or yy[cut:].min() == yy[cut:].max():
        cut = len(rows)  # too few of one class to validate: the weakest penalty on the path decides
    losses = []
    models = []
    for c in L1_CS:
        model = LogisticRegression(C=c, l1_ratio=1.0, solver="liblinear", max_iter=500)
        model.fit(x[:cut], yy[:cut], sample_weight=w[:cut])
        models.append(model)
        if cut < len(rows):
            p = np.clip(model.predict_proba(x[cut:])[:, 1], 1e-9, 1 - 1e-9)
            loss = -(yy[cut:] * np.log(p) + (1 - yy[cut:]) * np.log(1 - p)) * w[cut:]
            losses.append((float(loss.mean()), float(loss.std() / math.sqrt(len(loss)))))
    if losses:
        best = min(range(len(losses)), key=lambda i: losses[i][0])
        bar = losses[best][0] + losses[best][1]
        chosen = next(i for i in range(len(losses)) if losses[i][0] <= bar)
    else:
        chosen = len(L1_CS) - 1
    coefficients = models[chosen].coef_[0]
    return [name for name in order if np.any(np.abs(coefficients[where[name]]) > 1e-8)]


def _fit_with_cov(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """A lightly ridged logistic fit and the covariance of its coefficients (inverse Fisher
    information; the intercept's row and column dropped)."""
    model = LogisticRegression(C=100.0, max_iter=2000).fit(x, y, sample_weight=w)
    p = model.predict_proba(x)[:, 1]
    root_v = np.sqrt(w * p * (1 - p))
    info = np.zeros((x.shape[1] + 1, x.shape[1] + 1))
    for start in range(0, len(x), INFO_CHUNK):  # in blocks: never a second n x k matrix
        block = x[start : start + INFO_CHUNK]
        scaled = np.hstack([np.ones((len(block), 1)), block]) * root_v[start : start + INFO_CHUNK, None]
        info += scaled.T @ scaled  # one symmetric product (BLAS syrk), half a general one
    info[1:, 1:] += np.eye(x.shape[1]) / 100.0
    cov = np.linalg.pinv(info)[1:, 1:]
    return model.coef_[0], float(model.intercept_[0]), cov


def _refit_significant(
    values: np.ndarray,
    source: np.ndarray,
    y: np.ndarray,
    bases: dict[str, tuple[int, Basis]],
    selected: list[str],
    seed: int,
) -> tuple[list[str], np.ndarray, np.ndarray, dict[str, list[int]]]:
    """Refit the selected signals; drop those whose knots fail the Wald test; refit once more."""
    rows = _subsample(len(y), FIT_ROWS, y, seed + 1)
    w = _weights(rows, y)
    alpha = WALD_ALPHA / max(1, len(bases))
    kept = list(selected)
    beta, cov = np.zeros(0), np.zeros((0, 0))
    where: dict[str, list[int]] = {}
    for _ in range(3):
        if not kept:
            return [], beta, cov, where
        x, where = _design(values, bases, kept, source[rows])
        beta, _, cov = _fit_with_cov(x, y[rows], w)
        passing = [
            name for name in kept if _wald_p(beta[where[name]], cov[np.ix_(where[name], where[name])]) < alpha
        ]
        if passing == kept:
            break
        kept = passing
    return kept, beta, cov, where


def _wald_p(beta: np.ndarray, cov: np.ndarray) -> float:
    try:
        statistic = float(beta @ np.linalg.solve(cov, beta))
    except np.linalg.LinAlgError:
        statistic = float(beta @ np.linalg.pinv(cov) @ beta)
    return float(stats.chi2.sf(statistic, len(beta)))


def hand_set_direction(signal: str) -> int | None:
    """+1 / -1 where the hand-set score already uses the signal; None for feature signals."""
    return spec_for(signal).direction if signal in FIXED_NAMES else None


def _shape(name: str, basis: Basis, beta: np.ndarray, cov: np.ndarray) -> FittedSignal | None:
    """The signal's curve: monotone (projected) unless a turn is significant; None when the
    data turns a hand-set direction round without the evidence a flip needs."""
    m = len(basis.knots) - 1
    heights, missing = basis.curve(beta)
    rise = float(heights[-1])
    rise_se = float(math.sqrt(max(cov[m - 1, m - 1], 1e-12)))
    z = rise / rise_se
    direction = 1 if rise > 0 else -1
    prior = hand_set_direction(name)
    turn = False
    if m >= 2:
        projected = isotonic_regression(heights, increasing=direction > 0)
        gap = (heights - projected)[1:]
        sigma = cov[:m, :m]
        if np.any(np.abs(gap) > 1e-9) and _wald_p(gap, sigma) < TURN_ALPHA:
            turn = True
        else:
            heights = projected - projected[0]  # knot 0 stays the reference
    prior_direction = None if prior is None else (1 if prior == HIGHER_IS_WORSE else -1)
    flipped = not turn and prior_direction is not None and direction != prior_direction
    if not turn and abs(z) < (FLIP_Z if flipped else WEIGHT_Z):
        if flipped and abs(z) >= WEIGHT_Z:
            return None  # the guard: pointing the other way, but not surely enough to flip
        if not basis.has_missing:
            return None
        heights, direction, flipped = np.zeros_like(heights), 0, False  # only "no figure" tells
    return FittedSignal(
        signal=name,
        knots=[float(k) for k in basis.knots],
        heights=[float(h) for h in heights],
        missing_height=missing,
        direction=0 if turn else direction,
        rise=rise,
        rise_se=rise_se,
        flipped=bool(flipped),
        turn=turn,
    )


def _rescale(
    values: np.ndarray,
    source: np.ndarray,
    y: np.ndarray,
    names: Sequence[str],
    fitted: list[FittedSignal],
    candidates: int,
    notes: tuple[str, ...],
    seed: int,
) -> SignalFit:
    """Refit each curve's size (shapes held) and the intercept together: the projections and
    the dropped signals changed what the others should carry."""
    rows = _subsample(len(y), FIT_ROWS, y, seed + 2)
    w = _weights(rows, y)
    column = {name: k for k, name in enumerate(names)}
    x = np.stack([curve_at(f, values[source[rows], column[f.signal]]) for f in fitted], axis=1)
    model = LogisticRegression(C=1e4, max_iter=2000).fit(x, y[rows], sample_weight=w)
    scaled = []
    for f, size in zip(fitted, model.coef_[0], strict=True):
        size = max(0.0, float(size))  # a shape's size never turns it round (that was step 2)
        scaled.append(
            FittedSignal(
                f.signal, f.knots, [h * size for h in f.heights], f.missing_height * size,
                f.direction, f.rise, f.rise_se, f.flipped, f.turn,
            )
        )  # fmt: skip
    kept = tuple(f for f in scaled if _span(f) > 1e-6)
    return SignalFit(float(model.intercept_[0]), kept, candidates, notes)


def _span(f: FittedSignal) -> float:
    return max([*f.heights, f.missing_height]) - min([*f.heights, f.missing_height])


def to_signal_model(
    fit: SignalFit, *, findings: dict[str, str], horizon_days: int, fitted_on: str
) -> SignalModel:
    """Points: each curve shifted so its best value costs 0, all scaled so the most any
    account can lose is 100 points."""
    lows = [min([*f.heights, f.missing_height]) for f in fit.signals]
    spans = [max([*f.heights, f.missing_height]) - low for f, low in zip(fit.signals, lows, strict=True)]
    total = sum(spans)
    if total <= 0:
        raise ValueError("no signal predicts churn: every curve is flat")
    per_point = total / 100
    shapes = [
        SignalShape(
            signal=f.signal,
            knots=f.knots,
            points=[round((h - low) / per_point, 4) for h in f.heights],
            missing_points=round((f.missing_height - low) / per_point, 4),
            finding=findings.get(f.signal, ""),
        )
        for f, low in zip(fit.signals, lows, strict=True)
    ]
    return SignalModel(
        shapes=shapes,
        intercept=round(fit.intercept + sum(lows), 6),
        per_point=round(per_point, 6),
        horizon_days=horizon_days,
        fitted_on=fitted_on,
    )
