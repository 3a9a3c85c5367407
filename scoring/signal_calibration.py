"""Signal-level calibration's whole job: backtest, proposal, reference, words.

Samples are (account, day) pairs in time order, each labelled by churn within a horizon (or at
its renewal). The backtest fits on the pairs whose label window closed before the split day and
judges on the pairs from that day on, against the current score and a reference model fitted on
the same signals without the explainability constraints (gradient boosting: interactions,
any shape). The proposal is the same fit on every pair; it is proposed when it beats the
current score on the backtest by more than noise (a bootstrap interval on the AUC difference,
resampling accounts, since one account gives many pairs).

Pure: numpy, scipy and scikit-learn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from sklearn.metrics import roc_auc_score

from scoring.calibration import BandRate, Metrics, churn_by_band, evaluate
from scoring.config import SignalModel, TriggerConfig
from scoring.signal_backtest import backtest, model_scores, split_in_time
from scoring.signal_findings import Finding, findings
from scoring.signal_fit import SignalFit, fit_signals, to_signal_model

MIN_PAIRS = 200
MIN_CHURNED = 20
BOOTSTRAP = 200
BOOTSTRAP_ROWS = 60_000
RELIABILITY_BINS = 10


@dataclass(frozen=True)
class ChurnSamples:
    """What calibration learns from, in time order."""

    names: list[str]  # signal keys, the columns of `values`
    values: np.ndarray  # n x S
    churned: np.ndarray  # n, 0/1
    days: np.ndarray  # n, the day each pair's figures are as of (numpy datetime64[D])
    label_ends: np.ndarray  # n, the last day its label looks at
    accounts: np.ndarray  # n, account ids (for resampling whole accounts)
    current: np.ndarray  # n, the current configuration's score on that day (higher: healthier)
    sources: np.ndarray  # n, "monthly" or "renewal"

    def __post_init__(self) -> None:
        n = len(self.churned)
        for name in ("values", "days", "label_ends", "accounts", "current", "sources"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"ChurnSamples.{name} has {len(getattr(self, name))} rows, churned has {n}")

    def take(self, rows: np.ndarray) -> ChurnSamples:
        return ChurnSamples(
            self.names, self.values[rows], self.churned[rows], self.days[rows], self.label_ends[rows],
            self.accounts[rows], self.current[rows], self.sources[rows],
        )  # fmt: skip


@dataclass(frozen=True)
class ReliabilityBin:
    predicted: float  # mean predicted churn probability in the bin
    observed: float  # churn rate observed
    samples: int


@dataclass(frozen=True)
class SignalCalibration:
    samples: int
    churned: int
    monthly: int
    renewals: int
    horizon_days: int
    split_day: str | None  # ISO day: judged on pairs from this day on
    train_samples: int
    test_samples: int
    backtest_text: str
    current_metrics: Metrics
    proposed_metrics: Metrics
    reference_metrics: Metrics
    auc_gain: float  # proposed - current ROC-AUC on the backtest
    auc_gain_low: float  # its bootstrap 2.5% bound
    auc_gain_high: float
    ratio_to_reference: float  # proposed / reference ROC-AUC
    findings: tuple[Finding, ...]
    model: SignalModel | None  # the proposal (fitted on every pair); None when nothing to propose
    yellow: int | None
    green: int | None
    bands_from: str  # "churn rates" (2x and 1/2x the base rate) or "quantiles"
    band_rates: tuple[BandRate, ...]  # every sample under the proposal, by proposed band
    reliability: tuple[ReliabilityBin, ...]  # the backtest's proposed probabilities
    proposed: bool = False
    verdict: str = ""  # one sentence: why proposed, or why not and what data would help
    notes: tuple[str, ...] = field(default=())


def _days(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype="datetime64[D]")


def time_order(samples: ChurnSamples) -> np.ndarray:
    """The samples' rows by day, then account id (the order calibration reads them in)."""
    days = _days(samples.days)
    accounts = np.asarray(samples.accounts)
    if accounts.dtype.kind not in "US":
        accounts = accounts.astype(str)
    if len(days) < 2:
        return np.arange(len(days))
    later, same = days[1:] > days[:-1], days[1:] == days[:-1]
    if np.all(later | (same & (accounts[1:] >= accounts[:-1]))):
        return np.arange(len(days))  # already in order (a sample builder's usual output): no sort
    return np.lexsort((accounts, days))


def backtest_rows(samples: ChurnSamples) -> np.ndarray:
    """The rows (in the samples' own order) a time-ordered backtest judges."""
    order = time_order(samples)
    _, test, _ = split_in_time(_days(samples.days)[order], _days(samples.label_ends)[order])
    return order[test]


def auc_gain_interval(
    y: np.ndarray, proposed: np.ndarray, current: np.ndarray, accounts: np.ndarray, seed: int = 0
) -> tuple[float, float]:
    """2.5% and 97.5% bounds of AUC(proposed) - AUC(current), resampling whole accounts."""
    rng = np.random.default_rng(seed)
    rows = np.arange(len(y))
    if len(rows) > BOOTSTRAP_ROWS:
        rows = np.sort(rng.choice(rows, BOOTSTRAP_ROWS, replace=False))
    y, proposed, current = y[rows], proposed[rows], current[rows]
    _, group = np.unique(accounts[rows], return_inverse=True)
    groups = int(group.max()) + 1
    gains = []
    for _ in range(BOOTSTRAP):
        weight = np.bincount(rng.integers(0, groups, groups), minlength=groups)[group].astype(float)
        chosen = weight > 0
        yy = y[chosen]
        if yy.min() == yy.max():
            continue
        w = weight[chosen]
        gains.append(
            roc_auc_score(yy, proposed[chosen], sample_weight=w)
            - roc_auc_score(yy, current[chosen], sample_weight=w)
        )
    if not gains:
        return float("nan"), float("nan")
    low, high = np.percentile(gains, [2.5, 97.5])
    return float(low), float(high)


def reliability(
    y: np.ndarray, probability: np.ndarray, bins: int = RELIABILITY_BINS
) -> tuple[ReliabilityBin, ...]:
    """Predicted against observed churn, in equal-count bins of the prediction."""
    order = np.argsort(probability, kind="stable")
    return tuple(
        ReliabilityBin(float(probability[part].mean()), float(y[part].mean()), len(part))
        for part in np.array_split(order, min(bins, len(order)))
        if len(part)
    )


def band_cutoffs(model: SignalModel, scores: np.ndarray, base_rate: float) -> tuple[int, int, str]:
    """(yellow, green, how): Red where the model puts churn at 2x the base rate or more,
    Green at half of it or less; by quantiles (25th / 60th) when those cannot be placed."""

    def score_at(p: float) -> float:
        return 100 - (math.log(p / (1 - p)) - model.intercept) / model.per_point

    if model.per_point > 0 and 0 < base_rate < 0.5:
        yellow, green = round(score_at(2 * base_rate)), round(score_at(base_rate / 2))
        share_red = float((scores < yellow).mean())
        share_green = float((scores >= green).mean())
        if 1 <= yellow < green <= 99 and share_red >= 0.02 and share_green >= 0.05:
            return yellow, green, "churn rates"
    yellow = int(np.clip(round(float(np.percentile(scores, 25))), 1, 98))
    green = int(np.clip(round(float(np.percentile(scores, 60))), yellow + 1, 99))
    return yellow, green, "quantiles"


def calibrate_signals(
    samples: ChurnSamples, *, config: TriggerConfig, horizon_days: int, seed: int = 0
) -> SignalCalibration:
    """`config` only words the figures; the current score arrives in `samples.current`.

    The samples are read in time order through row indices (`time_order`), never copied
    whole: on a large book `values` is most of the memory calibration uses."""
    y = np.asarray(samples.churned, dtype=int)
    if len(y) < MIN_PAIRS or y.sum() < MIN_CHURNED or len(y) - y.sum() < MIN_CHURNED:
        raise ValueError(
            f"signal calibration needs at least {MIN_PAIRS} samples with {MIN_CHURNED} churned and "
            f"{MIN_CHURNED} not: got {len(y):,} with {int(y.sum()):,} churned"
        )
    order = time_order(samples)
    y = y[order]  # from here on y and the backtest's positions are in time order
    values, names = samples.values, samples.names
    tested = backtest(
        values, y, names, samples.days[order], samples.label_ends[order], samples.accounts[order],
        seed=seed, rows=order,
    )  # fmt: skip
    test = tested.test
    test_rows = order[test]  # the same samples as rows of `samples`
    current_test = 1 - samples.current[test_rows] / 100
    current_metrics = evaluate(y[test], current_test)
    reference_metrics = evaluate(y[test], tested.reference)
    proposed_metrics = evaluate(y[test], tested.proposed)
    back_p = tested.proposed
    notes = list(tested.notes)
    low, high = auc_gain_interval(y[test], back_p, current_test, samples.accounts[test_rows], seed)
    gain = proposed_metrics.roc_auc - current_metrics.roc_auc

    final_fit = fit_signals(values, y, names, seed=seed, rows=order)
    learned = findings(
        final_fit, samples.names, samples.values, samples.churned, config
    )  # sums over samples: their order does not matter
    model = None
    yellow = green = None
    bands_from = ""
    rates: tuple[BandRate, ...] = ()
    if final_fit.signals:
        model = to_signal_model(
            final_fit,
            findings={f.signal: f.short for f in learned},
            horizon_days=horizon_days,
            fitted_on=_fitted_on(samples, y),
        )
        # Bands and their churn from the proposal itself over every sample (the backtest's
        # models are scaled on their own fits, so the proposal's cut-offs do not read them).
        all_scores = model_scores(model, values, names)
        yellow, green, bands_from = band_cutoffs(model, all_scores, float(samples.churned.mean()))
        rates = churn_by_band(all_scores, samples.churned, yellow, green)
    better = tested.found_signals and final_fit.signals != () and low > 0
    verdict = _verdict(better, gain, low, high, final_fit, y, test)
    return SignalCalibration(
        samples=len(y),
        churned=int(y.sum()),
        monthly=int((samples.sources == "monthly").sum()),
        renewals=int((samples.sources == "renewal").sum()),
        horizon_days=horizon_days,
        split_day=tested.split_day,
        train_samples=tested.train_samples,
        test_samples=len(test),
        backtest_text=tested.text,
        current_metrics=current_metrics,
        proposed_metrics=proposed_metrics,
        reference_metrics=reference_metrics,
        auc_gain=gain,
        auc_gain_low=low,
        auc_gain_high=high,
        ratio_to_reference=proposed_metrics.roc_auc / reference_metrics.roc_auc
        if reference_metrics.roc_auc
        else float("nan"),
        findings=learned,
        model=model if better else None,
        yellow=yellow if better else None,
        green=green if better else None,
        bands_from=bands_from,
        band_rates=rates,
        reliability=reliability(y[test], back_p),
        proposed=better,
        verdict=verdict,
        notes=tuple(notes),
    )


def _fitted_on(samples: ChurnSamples, y: np.ndarray) -> str:
    last = str(_days(samples.days).max())
    monthly = int((samples.sources == "monthly").sum())
    renewals = int((samples.sources == "renewal").sum())
    parts = [f"{monthly:,} (account, month) pairs"] if monthly else []
    parts += [f"{renewals:,} renewals"] if renewals else []
    return f"{' and '.join(parts)} up to {last} ({int(y.sum()):,} churned)"


def _verdict(
    better: bool, gain: float, low: float, high: float, fit: SignalFit, y: np.ndarray, test: np.ndarray
) -> str:
    if better:
        return (
            f"Proposed: on the backtest it ranks churners better than the current score by {gain:+.3f} ROC-AUC "
            f"(95% interval {low:+.3f} to {high:+.3f})."
        )
    churned_test = int(y[test].sum())
    if not fit.signals:
        return (
            "Not proposed: no signal predicts churn on this book beyond noise; per-feature usage "
            "(feature_usage.csv), more churned outcomes or a longer history would help."
        )
    if math.isnan(low):
        return "Not proposed: the backtest could not be resampled; more churned outcomes would help."
    if high < 0:
        return (
            f"Not proposed: the current score ranks churners better on the backtest ({-gain:.3f} ROC-AUC more, "
            f"95% interval {-high:.3f} to {-low:.3f}); outcomes over a longer history, churn dates for monthly "
            "customers or per-feature usage would give the signals more to learn from."
        )
    return (
        f"Not proposed: the gain over the current score ({gain:+.3f} ROC-AUC, 95% interval {low:+.3f} to "
        f"{high:+.3f}) is within noise on {churned_test:,} churned samples judged; more churned outcomes "
        "(a longer history, or churn dates for monthly customers) would narrow it."
    )
