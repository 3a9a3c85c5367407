"""A signal calibration report built by hand (the figures of a real run on an "inverted tickets"
world, 800 accounts × 12 months), and the calibrated configuration body `calibrate` would store
for it: the report's model, its bands, and the triggers tied to the Red band moved with them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from scoring.calibration import Metrics
from scoring.config import SignalModel, SignalShape, TriggerConfig, config_to_dict
from scoring.signal_calibration import BandRate, Finding, ReliabilityBin, SignalCalibration
from scoring.trigger_alignment import aligned_with_bands

UTILISATION = (
    "On your book, the more seat utilisation, the *less* churn; accounts with 50% of seats active over the "
    "last 30 days churn 2.2× as often as the rest."
)
TICKETS = (
    "On your book, the more support tickets, the *less* churn; accounts with 1 ticket below the segment's norm "
    "in the last 30 days churn 10.0× as often as the rest. The hand-set score pointed the other way; the "
    "evidence to turn it round is strong (99.9%)."
)
BACKTEST = (
    "Backtest: time-ordered. Fitted on the 5,600 samples whose outcome was known before 2025-09-30, "
    "judged on the 4,000 from then on."
)
NOTE = "feature_use:Mobile: too few accounts use it to fit a curve; left out."
MODEL = SignalModel(
    shapes=[
        SignalShape(signal="seat_utilisation", knots=[0.2, 0.42, 0.6, 0.7, 1.0],
                    points=[28.4, 23.7, 16.2, 12.1, 0.0], missing_points=28.4,
                    finding="your book: the more seat utilisation, the less churn"),
        SignalShape(signal="ticket_volume", knots=[-4.0, -2.0, 0.0, 1.0, 8.0],
                    points=[71.6, 61.6, 50.9, 45.0, 0.0], missing_points=71.6,
                    finding="your book: the more support tickets, the less churn"),
    ],
    intercept=-7.2478, per_point=0.0826, horizon_days=90,
    fitted_on="9,600 (account, month) pairs up to 2025-12-31 (1,996 churned)",
)  # fmt: skip


def _metrics(roc_auc: float, pr_auc: float, brier: float, lift: float) -> Metrics:
    return Metrics(4000, 847, 0.2118, roc_auc, pr_auc, brier, lift)


def signal_report(**changes: Any) -> SignalCalibration:
    report = SignalCalibration(
        samples=9600, churned=1996, monthly=9600, renewals=0, horizon_days=90, split_day="2025-09-30",
        train_samples=5600, test_samples=4000, backtest_text=BACKTEST,
        current_metrics=_metrics(0.4989, 0.2101, 0.1702, 0.98),
        proposed_metrics=_metrics(0.7554, 0.4312, 0.1391, 2.41),
        reference_metrics=_metrics(0.7416, 0.4188, 0.1410, 2.33),
        auc_gain=0.2564, auc_gain_low=0.2284, auc_gain_high=0.2817, ratio_to_reference=1.0185,
        findings=(
            Finding("seat_utilisation", "usage", UTILISATION, "your book: more utilisation, less churn", False, False),
            Finding("ticket_volume", "support", TICKETS, "your book: more tickets, less churn", True, False),
        ),
        model=MODEL, yellow=16, green=38, bands_from="churn rates",
        band_rates=(
            BandRate("red", 436, 214, 0.4908), BandRate("yellow", 2190, 550, 0.2511),
            BandRate("green", 1374, 83, 0.0604),
        ),
        reliability=tuple(
            ReliabilityBin(p, o, 400)
            for p, o in ((0.018, 0.02), (0.051, 0.043), (0.083, 0.085), (0.12, 0.13), (0.16, 0.15),
                         (0.2, 0.21), (0.25, 0.24), (0.3, 0.31), (0.37, 0.36), (0.46, 0.47))
        ),
        proposed=True,
        verdict="Proposed: on the backtest it ranks churners better than the current score by +0.256 ROC-AUC "
        "(95% interval +0.228 to +0.282).",
        notes=(NOTE,),
    )  # fmt: skip
    return replace(report, **changes)


def calibrated_body(base: dict[str, Any], report: SignalCalibration) -> dict[str, Any]:
    """`base` with the report's signal model and bands, the Red-band triggers moved with them."""
    assert report.model is not None and report.yellow is not None and report.green is not None
    body = dict(base)
    body["signal_model"] = report.model.model_dump(mode="json")
    body["bands"] = {"yellow": report.yellow, "green": report.green}
    body["segment_bands"] = {}
    return config_to_dict(aligned_with_bands(TriggerConfig.model_validate(body)))
