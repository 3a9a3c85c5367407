"""The override analytics `tune report` prints, from stored decisions, cards and outcomes.

One pure function: decisions become labels (dated by their cycle day, as known on `as_of`),
the reviewers' accuracy is estimated from renewal outcomes, and every measure is computed
over the report's weeks. Storage loads the inputs; the bot renders the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from scoring.config import Learning
from scoring.learning.cells import CellMeasure, DismissTrend, dismiss_trends, measure_cells
from scoring.learning.edit_rates import EditRate, edit_rates
from scoring.learning.labels import labels_from
from scoring.learning.noise import ReviewerAccuracy, estimate_reviewer
from scoring.learning.recall import ChurnRecall, churn_recall
from scoring.learning.types import CardRecord, KnownOutcome, StoredDecision
from scoring.learning.weeks import report_weeks
from scoring.learning.workload import WeekWorkload, weekly_workload


@dataclass(frozen=True, slots=True)
class LearningReport:
    as_of: date
    weeks: tuple[date, ...]
    reviewer: ReviewerAccuracy
    cells: tuple[CellMeasure, ...]
    workload: tuple[WeekWorkload, ...]
    trends: tuple[DismissTrend, ...]
    recall: tuple[ChurnRecall, ...]
    edits: tuple[EditRate, ...]


def build_report(
    decisions: Iterable[StoredDecision],
    cards: Sequence[CardRecord],
    outcomes: Sequence[KnownOutcome],
    *,
    csms: Iterable[str],
    as_of: date,
    weeks: int,
    settings: Learning,
) -> LearningReport:
    """Measures over the `weeks` weeks ending with `as_of`'s, as known on `as_of`: decisions
    made, cards created and renewals after that day are left out, so a report run later with
    `as_of` in the past says what it would have said then."""
    window = report_weeks(as_of, weeks)
    start = window[0]
    known = [d for d in decisions if d.decided_at.date() <= as_of]
    labels = [
        label
        for label in labels_from(known, as_of=as_of, reply_window_days=settings.reply_window_days)
        if start <= label.day <= as_of
    ]
    outcomes = [o for o in outcomes if o.renewal_date <= as_of]
    in_window = [card for card in cards if start <= card.cycle_day <= as_of]
    reviewer = estimate_reviewer(
        labels,
        outcomes,
        sensitivity=settings.reviewer_sensitivity,
        specificity=settings.reviewer_specificity,
        prior_labels=settings.reviewer_prior_labels,
        horizon_days=settings.outcome_horizon_days,
        risk_triggers=[t.value for t in settings.risk_triggers],
    )
    cells = measure_cells(
        labels,
        in_window,
        weeks=window,
        accuracy=reviewer,
        max_prior_labels=settings.max_prior_labels,
        level=settings.interval_level,
    )
    return LearningReport(
        as_of=as_of,
        weeks=tuple(window),
        reviewer=reviewer,
        cells=tuple(cells),
        workload=tuple(weekly_workload(in_window, labels, weeks=window, csms=csms)),
        trends=tuple(dismiss_trends(cells)),
        recall=tuple(
            churn_recall(
                outcomes,
                cards,
                since=start,
                as_of=as_of,
                lead_days=settings.churn_lead_days,
                horizon_days=settings.outcome_horizon_days,
                level=settings.interval_level,
            )
        ),
        edits=tuple(edit_rates(labels)),
    )
