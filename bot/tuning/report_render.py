"""`tune report` as JSON (stable keys) or as tables for a terminal. Pure: a report in, text out.

JSON is one object: `as_of`, `weeks`, `reviewer`, `rows` (one per trigger × segment × week:
`trigger`, `segment`, `week`, `cards`, `precision`, `precision_low`, `precision_high`,
`dismiss_rate` and the counts behind them), `workload`, `dismiss_trends`, `recall` and `edits`.
Dates are ISO strings; a figure without data is null.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from typing import Any

from scoring.learning.report import LearningReport


def report_json(report: LearningReport) -> dict[str, Any]:
    return {
        "as_of": report.as_of.isoformat(),
        "weeks": [week.isoformat() for week in report.weeks],
        "reviewer": _plain(report.reviewer),
        "rows": [_plain(cell) for cell in report.cells],
        "workload": [_plain(week) for week in report.workload],
        "dismiss_trends": [_plain(trend) for trend in report.trends],
        "recall": [_plain(row) for row in report.recall],
        "edits": [_plain(row) for row in report.edits],
    }


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def render(report: LearningReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report_json(report), indent=2)
    return "\n".join(table_lines(report))


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _num(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _minutes(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds / 60:.0f}m"


def table_lines(report: LearningReport) -> list[str]:
    r = report.reviewer
    source = (
        f"from {r.churned_labels + r.renewed_labels} labels with a known renewal"
        if r.source == "outcomes"
        else "configured defaults: no renewal outcome known after these labels"
    )
    lines = [
        f"Override analytics, {len(report.weeks)} week(s) of cycle days {report.weeks[0]} to {report.as_of}",
        f"Reviewers: sensitivity {r.sensitivity:.2f}, specificity {r.specificity:.2f} ({source})",
        "",
        "Precision per trigger × segment × week (corrected for reviewer error, shrunk to the trigger's mean)",
        f"{'trigger':<19} {'segment':<11} {'week':<10} {'cards':>5} {'decided':>7} {'labels':>6} "
        f"{'approved':>8} {'precision':>9} {'interval':>11} {'dismissed':>9}",
    ]
    for c in report.cells:
        interval = "–" if c.precision_low is None else f"{_pct(c.precision_low)}–{_pct(c.precision_high)}"
        lines.append(
            f"{c.trigger:<19} {c.segment:<11} {c.week!s:<10} {c.cards:>5} {c.decided:>7} {c.labels:>6} "
            f"{_pct(c.approval_rate):>8} {_pct(c.precision):>9} {interval:>11} {_pct(c.dismiss_rate):>9}"
        )
    if not report.cells:
        lines.append("(no cards or decisions in these weeks)")
    lines += ["", "Workload per week", f"{'week':<10} {'cards':>5} {'CSMs':>4} {'per CSM (median / p90)':>23} "
              f"{'decided':>7} {'time to decide (median / p90)':>30}"]  # fmt: skip
    for w in report.workload:
        per_csm = f"{_num(w.cards_per_csm_median, 1)} / {_num(w.cards_per_csm_p90, 1)}"
        timing = f"{_minutes(w.decision_seconds_median)} / {_minutes(w.decision_seconds_p90)}"
        lines.append(f"{w.week!s:<10} {w.cards:>5} {w.csms:>4} {per_csm:>23} {w.decided:>7} {timing:>30}")
    if report.trends:
        lines += ["", "Dismiss-rate trend (change per week, weighted by decisions)"]
        for t in report.trends:
            slope = "–" if t.slope_per_week is None else f"{t.slope_per_week * 100:+.1f} pts/week"
            lines.append(
                f"{t.trigger:<19} {t.segment:<11} {_pct(t.first_rate)} → {_pct(t.last_rate)}  {slope}"
            )
    lead_days = report.recall[0].lead_days_required if report.recall else 0
    lines += ["", f"Recall of accounts that churned in these weeks (a card at least {lead_days} days before)"]
    for row in report.recall:
        lead = f"lead {_num(row.lead_days_median)} days (median)" if row.caught else ""
        interval = f"{_pct(row.recall_low)}–{_pct(row.recall_high)}" if row.churned else ""
        lines.append(
            f"{row.segment:<11} {row.caught}/{row.churned} {_pct(row.recall):>5} {interval:>9}  {lead}"
        )
    if report.edits:
        lines += ["", "Edit rate per draft kind and prompt version"]
        for e in report.edits:
            lines.append(
                f"{e.draft_kind:<18} {e.prompt_version:<20} {e.decisions:>4} decisions, edited {_pct(e.edit_rate)}"
                f" (median change {_pct(e.edit_size_median)}), taken over {_pct(e.takeover_rate)}"
            )
    return lines
