"""A signal calibration as a configuration, as words and as JSON.

`proposed_signal_config` is the current configuration with the calibrated signal model, its
bands, factor weights and renewal-risk model that agree with it term for term (so anything
that reads factors — renewal risk, rescoring snapshots — keeps working), and the triggers tied
to the bands moved with them. Pure.
"""

from __future__ import annotations

import math
from typing import Any

from scoring.calibration import Metrics
from scoring.config import FACTORS, SignalModel, TriggerConfig, config_to_dict
from scoring.signal_calibration import SignalCalibration
from scoring.signal_score import most_points
from scoring.signals import spec_for
from scoring.trigger_alignment import aligned_with_bands


def factor_most_points(model: SignalModel) -> dict[str, float]:
    """The most points each factor's signals can take (they sum to 100)."""
    most = dict.fromkeys(FACTORS, 0.0)
    for shape in model.shapes:
        most[spec_for(shape.signal).factor] += most_points(shape)
    return most


def proposed_signal_config(current: TriggerConfig, report: SignalCalibration) -> TriggerConfig:
    if report.model is None or report.yellow is None or report.green is None:
        raise ValueError("nothing to propose: the calibration found no better score")
    model = report.model
    most = factor_most_points(model)
    total = sum(most.values()) or 1.0
    weights = {name: round(value / total, 3) for name, value in most.items()}
    largest = max(weights, key=lambda name: weights[name])
    weights[largest] = round(weights[largest] + 1 - sum(weights.values()), 3)
    body: dict[str, Any] = config_to_dict(current)
    body["signal_model"] = model.model_dump(mode="json")
    body["weights"] = {"default": weights}
    body["bands"] = {"green": report.green, "yellow": report.yellow}
    body["segment_bands"] = {}
    # logit = intercept + per_point x points lost, and a factor's shortfall (100 - score) / 100
    # is its points over its most: the renewal-risk model in factor terms is the same model.
    body["renewal_risk"] = {
        **body["renewal_risk"],
        "intercept": round(model.intercept, 4),
        "coefficients": {name: round(model.per_point * most[name], 4) for name in FACTORS},
    }
    return aligned_with_bands(TriggerConfig.model_validate(body))


def _num(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 4)


def _metrics(m: Metrics) -> dict[str, Any]:
    return {
        "samples": m.samples, "churned": m.churned, "base_rate": _num(m.base_rate), "roc_auc": _num(m.roc_auc),
        "pr_auc": _num(m.pr_auc), "brier": _num(m.brier), "top_decile_lift": _num(m.top_decile_lift),
    }  # fmt: skip


def signal_report_dict(report: SignalCalibration) -> dict[str, Any]:
    return {
        "samples": report.samples,
        "churned": report.churned,
        "monthly_pairs": report.monthly,
        "renewals": report.renewals,
        "horizon_days": report.horizon_days,
        "split_day": report.split_day,
        "train_samples": report.train_samples,
        "test_samples": report.test_samples,
        "current_metrics": _metrics(report.current_metrics),
        "proposed_metrics": _metrics(report.proposed_metrics),
        "reference_metrics": _metrics(report.reference_metrics),
        "reference_model": "gradient boosting on the same signals",
        "ratio_to_reference": _num(report.ratio_to_reference),
        "auc_gain": _num(report.auc_gain),
        "auc_gain_interval": [_num(report.auc_gain_low), _num(report.auc_gain_high)],
        "proposed": report.proposed,
        "verdict": report.verdict,
        "findings": [
            {
                "signal": f.signal,
                "factor": f.factor,
                "sentence": f.sentence,
                "flipped": f.flipped,
                "turn": f.turn,
            }
            for f in report.findings
        ],
        "bands": None if report.yellow is None else {"yellow": report.yellow, "green": report.green},
        "bands_from": report.bands_from,
        "band_rates": [
            {"band": r.band, "samples": r.samples, "churned": r.churned, "rate": _num(r.rate)}
            for r in report.band_rates
        ],
        "reliability": [
            {"predicted": _num(b.predicted), "observed": _num(b.observed), "samples": b.samples}
            for b in report.reliability
        ],
        "signal_model": None if report.model is None else report.model.model_dump(mode="json"),
        "notes": list(report.notes),
    }


def render_signal_report(report: SignalCalibration) -> list[str]:
    c, p, r = report.current_metrics, report.proposed_metrics, report.reference_metrics
    what = f"{report.monthly:,} (account, month) pairs" if report.monthly else ""
    if report.renewals:
        what += (" and " if what else "") + f"{report.renewals:,} renewals"
    lines = [
        f"Signal-level calibration on {what} ({report.churned:,} churned within {report.horizon_days} days or at renewal).",
        report.backtest_text,
        "",
        f"{'':<26}{'current':>10}{'proposed':>10}{'reference':>11}",
        f"{'ROC-AUC':<26}{c.roc_auc:>10.3f}{p.roc_auc:>10.3f}{r.roc_auc:>11.3f}",
        f"{'PR-AUC':<26}{c.pr_auc:>10.3f}{p.pr_auc:>10.3f}{r.pr_auc:>11.3f}",
        f"{'Lift in the top decile':<26}{c.top_decile_lift:>10.2f}{p.top_decile_lift:>10.2f}{r.top_decile_lift:>11.2f}",
        f"Reference: gradient boosting on the same signals, no explainability constraint. "
        f"Proposed / reference ROC-AUC: {report.ratio_to_reference:.3f} (goal 0.95).",
        "",
        report.verdict,
    ]
    if report.findings:
        lines += ["", "What it learned:", *(f"  - {f.sentence}" for f in report.findings)]
    if report.model is not None and report.yellow is not None and report.green is not None:
        lines += [
            "",
            f"Proposed bands ({report.bands_from}): Green >= {report.green}, Yellow {report.yellow}-{report.green - 1}, "
            f"Red < {report.yellow}",
            *(
                f"  {b.band:<7} {b.samples:>7,} samples, {b.churned:>6,} churned ({b.rate:.1%})"
                for b in report.band_rates
            ),
            "",
            "Points per signal (knot: points):",
            *(
                f"  {shape.signal:<28} "
                + ", ".join(f"{k:g}: {pt:.1f}" for k, pt in zip(shape.knots, shape.points, strict=True))
                + (f"; no figure: {shape.missing_points:.1f}" if shape.missing_points else "")
                for shape in report.model.shapes
            ),
        ]
    lines += ["", "Reliability (backtest): predicted → observed churn"]
    lines += [
        f"  {b.predicted:>6.1%} → {b.observed:>6.1%}  ({b.samples:,} samples)" for b in report.reliability
    ]
    lines += [f"Note: {note}" for note in report.notes]
    return lines
