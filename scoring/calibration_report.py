"""`calibrate`'s whole job on a list of outcomes: a backtest, the proposal, a report.

The proposal (weights per segment, band cut-offs, renewal-risk model) only becomes a new
configuration version; ops decides whether to activate it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from scoring.backtest import backtest
from scoring.calibration import (
    MIN_SAMPLES,
    BandRate,
    ChurnModel,
    Metrics,
    OutcomeSample,
    band_cutoffs,
    band_cutoffs_from_model,
    bands_ordered,
    churn_by_band,
    deficit_matrix,
    fit_churn_model,
    rescore,
    weights_from_model,
)
from scoring.config import FACTORS, TriggerConfig, config_to_dict
from scoring.trigger_alignment import aligned_with_bands


@dataclass(frozen=True)
class CalibrationReport:
    samples: int
    churned: int
    backtest: str  # "time_ordered" or "stratified_cv" (scoring.backtest)
    backtest_reason: str  # one sentence: why that kind
    split_date: date | None  # time-ordered: test samples renewed on or after this day
    folds: int | None  # stratified cross-validation: how many folds
    train_samples: int
    test_samples: int
    test_metrics: Metrics  # the fit's predictions on renewals it did not see
    baseline_metrics: Metrics  # the current score on the same renewals
    backtest_text: str  # what ran, in words
    model: ChurnModel  # refitted on every outcome: the proposed renewal-risk model
    weights: dict[str, dict[str, float]]  # proposed weights: "default" and segments with their own fit
    segment_fits: dict[str, int]  # segment -> outcomes its own fit used
    yellow: int
    green: int
    band_rates: tuple[BandRate, ...]
    bands_ordered: bool
    warnings: tuple[str, ...]

    def render(self) -> str:
        t, b = self.test_metrics, self.baseline_metrics
        lines = [
            f"Calibration on {self.samples:,} renewals ({self.churned:,} churned, {self.churned / self.samples:.1%}).",
            self.backtest_text,
            f"  Why: {self.backtest_reason}",
            "",
            f"{'':<26}{'proposed':>10}{'current':>10}",
            f"{'ROC-AUC':<26}{t.roc_auc:>10.3f}{b.roc_auc:>10.3f}",
            f"{'PR-AUC':<26}{t.pr_auc:>10.3f}{b.pr_auc:>10.3f}",
            f"{'Brier score (lower=better)':<26}{t.brier:>10.3f}{b.brier:>10.3f}",
            f"{'Lift in the top decile':<26}{t.top_decile_lift:>10.2f}{b.top_decile_lift:>10.2f}",
            "",
            "Proposed weights:",
            f"  {'segment':<12}" + "".join(f"{name:>12}" for name in FACTORS),
        ]
        for segment, weights in self.weights.items():
            lines.append(f"  {segment:<12}" + "".join(f"{weights[name]:>12.3f}" for name in FACTORS))
        lines += [
            "",
            f"Proposed bands: Green >= {self.green}, Yellow {self.yellow}-{self.green - 1}, Red < {self.yellow}",
            *(
                f"  {r.band:<7} {r.samples:>6,} renewals, {r.churned:>5,} churned ({r.rate:.1%})"
                for r in self.band_rates
            ),
            "  Churn is ordered Red > Yellow > Green."
            if self.bands_ordered
            else "  WARNING: bands are NOT ordered.",
            "",
            f"Renewal-risk model: intercept {self.model.intercept:.2f}, "
            + ", ".join(f"{name} {value:.2f}" for name, value in self.model.coefficients.items()),
        ]
        lines += [f"Note: {warning}" for warning in self.warnings]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, object]:
        def metrics(m: Metrics) -> dict[str, object]:
            return {
                "samples": m.samples,
                "churned": m.churned,
                "base_rate": _num(m.base_rate),
                "roc_auc": _num(m.roc_auc),
                "pr_auc": _num(m.pr_auc),
                "brier": _num(m.brier),
                "top_decile_lift": _num(m.top_decile_lift),
            }

        return {
            "samples": self.samples,
            "churned": self.churned,
            "backtest": self.backtest,
            "backtest_reason": self.backtest_reason,
            "split_date": self.split_date.isoformat() if self.split_date else None,
            "folds": self.folds,
            "train_samples": self.train_samples,
            "test_samples": self.test_samples,
            "test_metrics": metrics(self.test_metrics),
            "baseline_metrics": metrics(self.baseline_metrics),
            "model": {"intercept": _num(self.model.intercept), "coefficients": self.model.coefficients},
            "weights": self.weights,
            "segment_fits": self.segment_fits,
            "bands": {"yellow": self.yellow, "green": self.green},
            "band_rates": [_rate(r) for r in self.band_rates],
            "bands_ordered": self.bands_ordered,
            "warnings": list(self.warnings),
        }


def _rate(rate: BandRate) -> dict[str, object]:
    return {"band": rate.band, "samples": rate.samples, "churned": rate.churned, "rate": _num(rate.rate)}


def _num(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 4)


def calibrate(
    samples: Sequence[OutcomeSample],
    *,
    test_share: float = 0.3,
    min_segment_samples: int = 200,
    min_segment_churned: int = 20,
) -> CalibrationReport:
    if len(samples) < MIN_SAMPLES:
        raise ValueError(
            f"calibration needs at least {MIN_SAMPLES} renewal outcomes with data, got {len(samples)}"
        )
    ordered = sorted(samples, key=lambda s: (s.renewal_date, s.account_id))
    y = np.array([s.churned for s in ordered], dtype=int)
    if len(set(y.tolist())) < 2:
        raise ValueError("every outcome is the same (all churned or all renewed): nothing to learn from")
    x = deficit_matrix(ordered)
    current = np.array([(100 - s.score) / 100 for s in ordered])
    tested = backtest(x, y, [s.renewal_date for s in ordered], current, test_share=test_share)
    model = fit_churn_model(x, y)
    warnings: list[str] = []
    weights = {"default": weights_from_model(model)}
    segment_fits: dict[str, int] = {}
    segments = np.array([s.segment for s in ordered])
    for segment in sorted(set(segments.tolist())):
        mask = segments == segment
        if mask.sum() < min_segment_samples or y[mask].sum() < min_segment_churned:
            continue
        try:
            weights[segment] = weights_from_model(fit_churn_model(x[mask], y[mask]))
            segment_fits[segment] = int(mask.sum())
        except ValueError as error:
            warnings.append(f"{segment}: kept the default weights ({error}).")
    scores = np.array(
        [rescore(x[i : i + 1], weights.get(s.segment, weights["default"]))[0] for i, s in enumerate(ordered)]
    )
    yellow, green, rates = _bands(model, scores, y, warnings)
    if y.sum() < 30:
        warnings.append(f"Only {int(y.sum())} churned renewals: the figures are noisy.")
    return CalibrationReport(
        samples=len(ordered),
        churned=int(y.sum()),
        backtest=tested.kind,
        backtest_reason=tested.reason,
        split_date=tested.split_date,
        folds=tested.folds,
        train_samples=tested.train_samples,
        test_samples=tested.test_samples,
        test_metrics=tested.test_metrics,
        baseline_metrics=tested.baseline_metrics,
        backtest_text=tested.describe(),
        model=model,
        weights=weights,
        segment_fits=segment_fits,
        yellow=yellow,
        green=green,
        band_rates=rates,
        bands_ordered=bands_ordered(rates),
        warnings=tuple(warnings),
    )


def _bands(
    model: ChurnModel, scores: np.ndarray, y: np.ndarray, warnings: list[str]
) -> tuple[int, int, tuple[BandRate, ...]]:
    """Bands from the model's probabilities; the empirical rule when those are not ordered."""
    try:
        yellow, green = band_cutoffs_from_model(model, float(y.mean()))
        rates = churn_by_band(scores, y, yellow, green)
        if bands_ordered(rates):
            return yellow, green, rates
    except ValueError:
        pass
    warnings.append("Bands placed from observed churn rates (the model's cut-offs were not ordered).")
    yellow, green = band_cutoffs(scores, y)
    return yellow, green, churn_by_band(scores, y, yellow, green)


def proposed_config(current: TriggerConfig, report: CalibrationReport) -> TriggerConfig:
    """The current configuration with the calibrated weights, bands and renewal-risk model.
    Segments without their own fit follow the calibrated default (earlier hand-set segment
    weights are priors the outcomes have now replaced). The triggers tied to the Red band move
    with it (scoring.trigger_alignment): a card that says Red and no health_low would be a
    contradiction ops has to find by hand."""
    body = config_to_dict(current)
    body["weights"] = report.weights
    body["bands"] = {"green": report.green, "yellow": report.yellow}
    body["segment_bands"] = {}
    body["renewal_risk"] = {
        **body["renewal_risk"],
        "intercept": round(report.model.intercept, 3),
        "coefficients": {name: round(value, 3) for name, value in report.model.coefficients.items()},
    }
    return aligned_with_bands(TriggerConfig.model_validate(body))
