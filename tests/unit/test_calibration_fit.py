"""Calibration's math on synthetic outcomes drawn from known weights: recovery, non-negative
coefficients, the standard metrics, ordered bands, and clear refusals."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pytest

from scoring.calibration import (
    ChurnModel,
    OutcomeSample,
    band_cutoffs,
    band_cutoffs_from_model,
    bands_ordered,
    churn_by_band,
    deficit_matrix,
    evaluate,
    fit_churn_model,
    rescore,
    weights_from_model,
)
from scoring.calibration_report import calibrate, proposed_config
from scoring.config import FACTORS, load_default_config

TRUE = np.array([0.40, 0.25, 0.15, 0.15, 0.05])


def draw(
    n: int, weights: np.ndarray, *, seed: int = 1, steepness: float = 8.0
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((n, len(FACTORS)))
    p = 1 / (1 + np.exp(-(-4 + steepness * x @ weights)))
    return x, (rng.random(n) < p).astype(int)


def samples_from(x: np.ndarray, y: np.ndarray, *, segments: list[str] | None = None) -> list[OutcomeSample]:
    start = date(2026, 1, 1)
    return [
        OutcomeSample(
            account_id=f"A{i}",
            segment=(segments[i] if segments else "smb"),
            renewal_date=start + timedelta(days=i * 180 // len(y)),
            churned=bool(y[i]),
            factors={name: 100 * (1 - x[i, k]) for k, name in enumerate(FACTORS)},
            score=float(100 * (1 - x[i] @ np.full(5, 0.2))),  # the "current" score: equal weights
        )
        for i in range(len(y))
    ]


def test_known_weights_are_recovered() -> None:
    x, y = draw(20_000, TRUE)
    weights = weights_from_model(fit_churn_model(x, y))
    for k, name in enumerate(FACTORS):
        assert weights[name] == pytest.approx(TRUE[k], abs=0.05), (name, weights)
    assert sum(weights.values()) == pytest.approx(1.0, abs=1e-9)


def test_a_factor_that_lowers_churn_gets_no_weight_and_none_is_negative() -> None:
    x, _ = draw(10_000, TRUE)
    rng = np.random.default_rng(2)
    logit = -3 + 6 * x[:, 0] - 3 * x[:, 4]  # a worse onboarding would *lower* churn: not credible
    y = (rng.random(len(x)) < 1 / (1 + np.exp(-logit))).astype(int)
    model = fit_churn_model(x, y)
    assert model.coefficients["onboarding"] == 0.0
    assert all(value >= 0 for value in model.coefficients.values())
    assert weights_from_model(model)["support"] <= 0.05  # no true effect


def test_a_missing_factor_takes_the_overall_shortfall() -> None:
    sample = OutcomeSample("A", "smb", date(2026, 1, 1), False, {"usage": 40.0, "support": None}, score=70.0)
    row = deficit_matrix([sample])[0]
    assert row[0] == pytest.approx(0.6) and row[1] == pytest.approx(0.3) and row[4] == pytest.approx(0.3)


def test_metrics_for_perfect_random_and_constant_predictions() -> None:
    rng = np.random.default_rng(3)
    y = (rng.random(10_000) < 0.2).astype(int)
    perfect = evaluate(y, y.astype(float))
    assert perfect.roc_auc == 1.0 and perfect.pr_auc == 1.0
    assert perfect.top_decile_lift == pytest.approx(1 / perfect.base_rate)
    assert evaluate(y, rng.random(10_000)).roc_auc == pytest.approx(0.5, abs=0.03)
    constant = evaluate(y, np.full(10_000, y.mean()))
    assert constant.brier == pytest.approx(y.mean() * (1 - y.mean()))


def test_band_cutoffs_order_churn_and_fall_back_when_churn_is_flat() -> None:
    x, y = draw(5_000, TRUE)
    scores = rescore(x, dict(zip(FACTORS, TRUE, strict=True)))
    yellow, green = band_cutoffs(scores, y)
    assert yellow < green and bands_ordered(churn_by_band(scores, y, yellow, green))
    flat = (np.random.default_rng(4).random(5_000) < 0.1).astype(int)  # churn unrelated to score
    yellow, green = band_cutoffs(scores, flat)
    assert 1 <= yellow < green <= 99


def test_model_cutoffs_sit_where_churn_is_twice_and_half_the_base_rate() -> None:
    model = ChurnModel(-4.0, dict(zip(FACTORS, 8 * TRUE, strict=True)))
    yellow, green = band_cutoffs_from_model(model, 0.2)
    at = lambda score: model.probability(np.full((1, 5), (100 - score) / 100))[0]  # noqa: E731
    assert at(yellow) == pytest.approx(0.4, abs=0.03) and at(green) == pytest.approx(0.1, abs=0.02)


def test_calibrate_backtests_in_time_order_and_proposes_per_segment_weights() -> None:
    x, y = draw(3_000, TRUE, seed=5)
    segments = ["enterprise" if i % 3 == 0 else "smb" for i in range(3_000)]
    report = calibrate(samples_from(x, y, segments=segments))

    assert report.test_metrics.roc_auc > 0.75
    assert report.test_metrics.roc_auc > report.baseline_metrics.roc_auc  # equal weights are worse
    assert report.bands_ordered and report.yellow < report.green
    assert report.train_samples + report.test_samples == 3_000
    assert set(report.segment_fits) == {"enterprise", "smb"}
    for k, name in enumerate(FACTORS):
        assert report.weights["default"][name] == pytest.approx(TRUE[k], abs=0.07)
    text = report.render()
    assert report.backtest == "time_ordered" and report.split_date is not None
    assert "ROC-AUC" in text and report.split_date.isoformat() in text
    json.dumps(report.as_dict())
    proposal = proposed_config(load_default_config(), report)
    assert proposal.bands.green == report.green
    assert proposal.weights_for("mid_market") == report.weights["default"]
    assert proposal.renewal_risk.intercept == pytest.approx(report.model.intercept, abs=1e-3)


def test_calibrate_refuses_too_few_or_one_sided_outcomes() -> None:
    x, y = draw(200, TRUE)
    with pytest.raises(ValueError, match="at least 50"):
        calibrate(samples_from(x[:10], y[:10]))
    with pytest.raises(ValueError, match="all churned or all renewed"):
        calibrate(samples_from(x, np.zeros(200, dtype=int)))
    few_churned = np.zeros(200, dtype=int)
    few_churned[7] = 1  # one churned renewal: not even two folds can each hold one
    same_day = [replace(sample, renewal_date=date(2026, 1, 1)) for sample in samples_from(x, few_churned)]
    with pytest.raises(ValueError, match="only 1 churned"):
        calibrate(same_day)


def test_a_time_ordered_backtest_says_so() -> None:
    x, y = draw(1_000, TRUE, seed=6)
    report = calibrate(samples_from(x, y))
    assert report.backtest == "time_ordered" and report.folds is None
    assert report.as_dict()["backtest"] == "time_ordered"
    assert "earlier" in report.backtest_reason and report.backtest_reason in report.render()


def test_one_renewal_cohort_falls_back_to_stratified_cross_validation() -> None:
    x, y = draw(3_000, TRUE, seed=5)
    one_day = [replace(sample, renewal_date=date(2026, 4, 1)) for sample in samples_from(x, y)]
    report = calibrate(one_day)  # used to refuse: "every renewal falls on or after 2026-04-01"

    assert report.backtest == "stratified_cv" and report.folds == 5
    assert report.split_date is None
    assert report.test_samples == 3_000  # every renewal judged once, by a model that never saw it
    assert report.train_samples == 2_400
    assert report.test_metrics.roc_auc > 0.75
    assert report.test_metrics.roc_auc > report.baseline_metrics.roc_auc
    assert report.bands_ordered
    text = report.render()
    assert "stratified 5-fold cross-validation" in text and "2026-04-01" in text
    body = report.as_dict()
    assert body["backtest"] == "stratified_cv" and body["folds"] == 5 and body["split_date"] is None
    assert "2026-04-01" in str(body["backtest_reason"])


def test_cross_validation_uses_fewer_folds_when_few_renewals_churned() -> None:
    x, y = draw(300, TRUE, seed=8)
    y = np.zeros(300, dtype=int)
    y[np.argsort(-x @ TRUE)[:3]] = 1  # three churned renewals, the three worst accounts
    one_day = [replace(sample, renewal_date=date(2026, 4, 1)) for sample in samples_from(x, y)]
    report = calibrate(one_day)
    assert report.backtest == "stratified_cv" and report.folds == 3
    assert report.test_metrics.churned == 3


def test_renewals_bunched_on_one_late_day_fall_back_too() -> None:
    x, y = draw(1_000, TRUE, seed=9)
    samples = samples_from(x, y)
    bunched = [  # 2% renew early, the rest on one day: a split in time would fit on 20 renewals
        replace(sample, renewal_date=date(2026, 1, 1) + timedelta(days=i) if i < 20 else date(2026, 6, 30))
        for i, sample in enumerate(samples)
    ]
    report = calibrate(bunched)
    assert report.backtest == "stratified_cv"
    assert "20 renewals" in report.backtest_reason
