"""Recall of later-churned accounts: did Tandem put them in front of a person in time?

A churned account counts as caught when it had a card (any trigger, audit cards included) at
least `lead_days` before its churn date and within `horizon_days` of it. The lead time is the
days from its first card in that horizon to the churn. Measured over the accounts that churned
in the report window, overall and per segment, with a Wilson interval.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from scoring.learning.intervals import DEFAULT_LEVEL, wilson
from scoring.learning.summary import median_p90, share
from scoring.learning.types import CardRecord, KnownOutcome

ALL_SEGMENTS = "all"


@dataclass(frozen=True, slots=True)
class ChurnRecall:
    segment: str
    lead_days_required: int  # a card at least this long before the churn counts
    churned: int
    caught: int
    recall: float | None
    recall_low: float | None
    recall_high: float | None
    lead_days_median: float | None
    lead_days_p90: float | None
    missed: tuple[str, ...]  # account ids with no card in time


def churn_recall(
    outcomes: Iterable[KnownOutcome],
    cards: Iterable[CardRecord],
    *,
    since: date,
    as_of: date,
    lead_days: int,
    horizon_days: int,
    level: float = DEFAULT_LEVEL,
) -> list[ChurnRecall]:
    """One row for all churned accounts, then one per segment (alphabetical)."""
    card_days: dict[str, list[date]] = defaultdict(list)
    for card in cards:
        card_days[card.account_id].append(card.cycle_day)
    churned = [o for o in outcomes if o.churned and since <= o.renewal_date <= as_of]
    verdicts = [(o, _lead(o, card_days[o.account_id], lead_days, horizon_days)) for o in churned]
    rows = [_row(ALL_SEGMENTS, verdicts, lead_days, level)]
    for segment in sorted({o.segment for o in churned}):
        mine = [(o, lead) for o, lead in verdicts if o.segment == segment]
        rows.append(_row(segment, mine, lead_days, level))
    return rows


def _lead(outcome: KnownOutcome, days: Sequence[date], lead_days: int, horizon_days: int) -> int | None:
    """Days from the first card in the horizon to the churn, when one came early enough."""
    churn = outcome.renewal_date
    in_view = [day for day in days if churn - timedelta(days=horizon_days) <= day <= churn]
    if not any(day <= churn - timedelta(days=lead_days) for day in in_view):
        return None
    return (churn - min(in_view)).days


def _row(
    segment: str, verdicts: Sequence[tuple[KnownOutcome, int | None]], lead_days: int, level: float
) -> ChurnRecall:
    leads = [lead for _, lead in verdicts if lead is not None]
    low, high = wilson(len(leads), len(verdicts), level=level) if verdicts else (None, None)
    median, p90 = median_p90(leads)
    return ChurnRecall(
        segment=segment,
        lead_days_required=lead_days,
        churned=len(verdicts),
        caught=len(leads),
        recall=share(len(leads), len(verdicts)),
        recall_low=None if low is None else round(low, 4),
        recall_high=None if high is None else round(high, 4),
        lead_days_median=median,
        lead_days_p90=p90,
        missed=tuple(sorted(o.account_id for o, lead in verdicts if lead is None)),
    )
