"""What Tandem asks of people each week: cards per CSM (median, p90) and time to decision.

Cards count in the week of the cycle day they came from, decided or not, audit cards too (they
cost a person's time as much). A CSM with no card that week counts as zero, so a quiet team
member pulls the median down as they should.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from scoring.learning.summary import median_p90
from scoring.learning.types import CardRecord, Label
from scoring.learning.weeks import week_of


@dataclass(frozen=True, slots=True)
class WeekWorkload:
    week: date
    csms: int
    cards: int
    cards_per_csm_median: float | None
    cards_per_csm_p90: float | None
    decided: int
    decision_seconds_median: float | None
    decision_seconds_p90: float | None


def weekly_workload(
    cards: Iterable[CardRecord], labels: Iterable[Label], *, weeks: Sequence[date], csms: Iterable[str]
) -> list[WeekWorkload]:
    team = set(csms)
    per_person: dict[date, Counter[str]] = defaultdict(Counter)
    for card in cards:
        per_person[week_of(card.cycle_day)][card.recipient] += 1
        team.add(card.recipient)
    seconds: dict[date, list[float]] = defaultdict(list)
    for label in labels:
        if label.decision.card_id is not None:
            seconds[label.week].append(label.decision.seconds_to_decide)
    rows = []
    for week in weeks:
        counts = [per_person[week].get(person, 0) for person in sorted(team)]
        cards_median, cards_p90 = median_p90(counts)
        time_median, time_p90 = median_p90(seconds[week])
        rows.append(
            WeekWorkload(
                week=week,
                csms=len(team),
                cards=sum(counts),
                cards_per_csm_median=cards_median,
                cards_per_csm_p90=cards_p90,
                decided=len(seconds[week]),
                decision_seconds_median=time_median,
                decision_seconds_p90=time_p90,
            )
        )
    return rows
