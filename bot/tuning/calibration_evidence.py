"""A signal calibration as a tuning proposal's stored evidence, and the changes it makes (pure).

The evidence is plain JSON (no NaN: PostgreSQL's JSON refuses it), read back by the Slack message,
its Details modal and the reliability chart: the findings' sentences, the verdict, the backtest,
the three models' metrics, the gain interval, the bands with the churn in each, the reliability
bins and the notes.

The changes are what the calibrated version changes against its parent, as ConfigChange entries,
so accepting it after another version became active applies them on top of that one
(`bot.tuning.decisions`). A calibration replaces the score model, the bands, the weights and the
renewal-risk model whole (half of one model and half of another is neither); anything else it
moved (the trigger lines tied to the Red band) changes setting by setting.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from scoring.learning.proposal_types import ConfigChange

if TYPE_CHECKING:
    from scoring.calibration import Metrics
    from scoring.signal_calibration import SignalCalibration

KEY = "calibration:score"  # one calibration waits at a time: a newer one supersedes it
TRIGGER = "score"  # the proposal's trigger column: it is about the score, not one trigger
WHOLE_SECTIONS = ("signal_model", "bands", "segment_bands", "weights", "renewal_risk")


def calibration_title(report: SignalCalibration) -> str:
    current, proposed = report.current_metrics.roc_auc, report.proposed_metrics.roc_auc
    return f"Calibrated health score: backtest ROC-AUC {_fixed(current)} → {_fixed(proposed)}"


def calibration_evidence(report: SignalCalibration, changes: list[ConfigChange]) -> dict[str, Any]:
    """The proposal's `evidence` column."""
    figures = {
        "samples": report.samples,
        "churned": report.churned,
        "monthly": report.monthly,
        "renewals": report.renewals,
        "horizon_days": report.horizon_days,
        "split_day": report.split_day,
        "train_samples": report.train_samples,
        "test_samples": report.test_samples,
        "roc_auc": {
            "current": _number(report.current_metrics.roc_auc),
            "proposed": _number(report.proposed_metrics.roc_auc),
            "reference": _number(report.reference_metrics.roc_auc),
        },
        "metrics": {
            "current": _metrics(report.current_metrics),
            "proposed": _metrics(report.proposed_metrics),
            "reference": _metrics(report.reference_metrics),
        },
        "auc_gain": _number(report.auc_gain),
        "auc_gain_low": _number(report.auc_gain_low),
        "auc_gain_high": _number(report.auc_gain_high),
        "ratio_to_reference": _number(report.ratio_to_reference),
        "bands": {"yellow": report.yellow, "green": report.green, "from": report.bands_from},
        "band_rates": [
            {"band": b.band, "samples": b.samples, "churned": b.churned, "rate": _number(b.rate)}
            for b in report.band_rates
        ],
        "reliability": [
            {"predicted": _number(b.predicted), "observed": _number(b.observed), "samples": b.samples}
            for b in report.reliability
        ],
    }
    return {
        "sentences": [finding.sentence for finding in report.findings],
        "verdict": report.verdict,
        "backtest": report.backtest_text,
        "notes": list(report.notes),
        "figures": figures,
        "changes": [{"path": list(c.path), "value": c.value, "op": c.op} for c in changes],
    }


def calibration_changes(parent: dict[str, Any], proposed: dict[str, Any]) -> list[ConfigChange]:
    """What `proposed` changes against `parent` (two configuration bodies)."""
    changes: list[ConfigChange] = []
    for section in sorted(set(parent) | set(proposed)):
        before, after = parent.get(section), proposed.get(section)
        if before == after:
            continue
        if section in WHOLE_SECTIONS:
            changes.append(ConfigChange((section,), after))
        else:
            changes.extend(_setting_changes((section,), before, after))
    return changes


def _setting_changes(path: tuple[str, ...], before: Any, after: Any) -> list[ConfigChange]:
    """Setting by setting where both sides are tables with the same keys; else the whole value
    (so a change never needs to delete a key)."""
    if before == after:
        return []
    if isinstance(before, dict) and isinstance(after, dict) and set(before) == set(after):
        return [
            change
            for key in sorted(after)
            for change in _setting_changes((*path, key), before[key], after[key])
        ]
    return [ConfigChange(path, after)]


def _metrics(metrics: Metrics) -> dict[str, Any]:
    return {
        name: _number(value) if isinstance(value, float) else value for name, value in asdict(metrics).items()
    }


def _number(value: float | None, digits: int = 4) -> float | None:
    """A JSON-safe figure: rounded, None for NaN or infinity."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def _fixed(value: float) -> str:
    return f"{value:.3f}" if math.isfinite(value) else "n/a"
