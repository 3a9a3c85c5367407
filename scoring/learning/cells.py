"""Measures per trigger × segment × week: cards, decisions, dismissals and escalation precision.

Precision is the share of fired cards worth a person's time. From the threshold labels
(approve, edit, take over against dismissals as false positives; audit cards left out, they
were not fired) the observed approval rate is shrunk towards the trigger's mean (a beta-binomial
prior fitted across the trigger's cells), then corrected for reviewer error (Rogan–Gladen);
the posterior's equal-tailed interval is corrected the same way. `approval_rate` keeps the raw
share, which reviewer noise biases towards 1 − Sp + (Se + Sp − 1)·p.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from scoring.learning.noise import ReviewerAccuracy, corrected
from scoring.learning.shrinkage import BetaPrior, fit_beta_prior, posterior
from scoring.learning.summary import median_p90, share
from scoring.learning.types import Action, CardRecord, Label, LabelKind
from scoring.learning.weeks import week_of

CARD_DECISIONS = frozenset({Action.APPROVED, Action.EDITED, Action.TAKEN_OVER, Action.DISMISSED})
UNKNOWN_SEGMENT = "unknown"
Key = tuple[str, str, date]  # trigger, segment, week


@dataclass(slots=True)
class CellMeasure:
    trigger: str
    segment: str
    week: date
    cards: int = 0  # fired cards from this week's cycle days, decided or not
    audit_cards: int = 0
    decided: int = 0  # fired cards decided (approve, edit, take over, dismiss)
    labels: int = 0  # threshold labels among them
    approvals: int = 0  # worth a person's time
    approval_rate: float | None = None  # raw, as the reviewers said
    precision: float | None = None  # shrunk and corrected for reviewer error
    precision_low: float | None = None
    precision_high: float | None = None
    dismissed: int = 0
    dismiss_rate: float | None = None
    dismiss_reasons: dict[str, int] = field(default_factory=dict)
    decision_seconds_median: float | None = None
    decision_seconds_p90: float | None = None
    auto_sent: int = 0
    cancelled: int = 0
    answered: int = 0
    ignored: int = 0


@dataclass(frozen=True, slots=True)
class DismissTrend:
    """How a trigger × segment's weekly dismiss rate moves: a least-squares slope weighted by
    the decisions behind each week (change in rate per week)."""

    trigger: str
    segment: str
    weeks_with_decisions: int
    first_rate: float | None
    last_rate: float | None
    slope_per_week: float | None


def measure_cells(
    labels: Iterable[Label],
    cards: Iterable[CardRecord],
    *,
    weeks: Sequence[date],
    accuracy: ReviewerAccuracy,
    max_prior_labels: float,
    level: float,
) -> list[CellMeasure]:
    """Every cell in `weeks` that had a card or a decision, sorted by trigger, segment, week."""
    in_window = set(weeks)
    cells: dict[Key, CellMeasure] = {}

    def cell(trigger: str, segment: str | None, week: date) -> CellMeasure:
        key = (trigger, segment or UNKNOWN_SEGMENT, week)
        if key not in cells:
            cells[key] = CellMeasure(*key)
        return cells[key]

    for card in cards:
        if week_of(card.cycle_day) in in_window:
            found = cell(card.trigger, card.segment, week_of(card.cycle_day))
            found.audit_cards += card.propensity < 1
            found.cards += card.propensity >= 1
    seconds: dict[Key, list[float]] = defaultdict(list)
    reasons: dict[Key, Counter[str]] = defaultdict(Counter)
    for label in labels:
        d = label.decision
        if label.week not in in_window or not d.trigger:
            continue
        found = cell(d.trigger, d.segment, label.week)
        key = (found.trigger, found.segment, found.week)
        _count(found, label)
        if d.action in CARD_DECISIONS and not d.is_audit:
            seconds[key].append(d.seconds_to_decide)
            if d.action == Action.DISMISSED:
                reasons[key][d.reason_code or "unknown"] += 1
    for key, found in cells.items():
        found.dismiss_rate = share(found.dismissed, found.decided)
        found.dismiss_reasons = dict(sorted(reasons[key].items()))
        found.decision_seconds_median, found.decision_seconds_p90 = median_p90(seconds[key])
    _precision(list(cells.values()), accuracy, max_prior_labels, level)
    return [cells[key] for key in sorted(cells)]


def _count(found: CellMeasure, label: Label) -> None:
    d = label.decision
    if d.action in CARD_DECISIONS and not d.is_audit:
        found.decided += 1
        found.dismissed += d.action == Action.DISMISSED
        if label.threshold_label is not None:
            found.labels += 1
            found.approvals += label.threshold_label
    found.auto_sent += d.action == Action.AUTO_SENT
    found.cancelled += label.kind is LabelKind.AGAINST_AUTOMATION
    found.answered += label.kind is LabelKind.ANSWERED
    found.ignored += label.kind is LabelKind.IGNORED


def _precision(
    cells: list[CellMeasure], accuracy: ReviewerAccuracy, max_prior_labels: float, level: float
) -> None:
    by_trigger: dict[str, list[CellMeasure]] = defaultdict(list)
    for found in cells:
        by_trigger[found.trigger].append(found)
    for group in by_trigger.values():
        prior: BetaPrior | None = fit_beta_prior(
            [(c.approvals, c.labels) for c in group], max_strength=max_prior_labels
        )
        for found in group:
            if not found.labels:
                continue
            found.approval_rate = share(found.approvals, found.labels)
            shrunk = posterior(found.approvals, found.labels, prior, level=level)
            found.precision = round(corrected(shrunk.mean, accuracy), 4)
            found.precision_low = round(corrected(shrunk.low, accuracy), 4)
            found.precision_high = round(corrected(shrunk.high, accuracy), 4)


def dismiss_trends(cells: Iterable[CellMeasure]) -> list[DismissTrend]:
    series: dict[tuple[str, str], list[CellMeasure]] = defaultdict(list)
    for found in cells:
        if found.decided:
            series[(found.trigger, found.segment)].append(found)
    trends = []
    for (trigger, segment), group in sorted(series.items()):
        group.sort(key=lambda c: c.week)
        slope = None
        if len(group) >= 2:
            x = np.array([(c.week - group[0].week).days / 7 for c in group])
            y = np.array([c.dismiss_rate or 0.0 for c in group])
            w = np.array([c.decided for c in group], dtype=float)
            x_mean, y_mean = np.average(x, weights=w), np.average(y, weights=w)
            spread = float(np.sum(w * (x - x_mean) ** 2))
            slope = round(float(np.sum(w * (x - x_mean) * (y - y_mean)) / spread), 4) if spread else None
        trends.append(
            DismissTrend(trigger, segment, len(group), group[0].dismiss_rate, group[-1].dismiss_rate, slope)
        )
    return trends
