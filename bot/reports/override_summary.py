"""The override log summed up for ops (pure: no database, no Slack): per trigger and segment,
how many cards people decided, the share of each decision, why cards were dismissed, the
median time to decide, and the trigger's circuit-breaker trips.

Only a person's decision on a card counts (storage.enums.DECISION_ACTIONS); the rows the ladder,
snoozes, automated touches and tuning add to the log are context and are left out here too, so
a caller that passes every row still gets decision rates."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from storage.enums import DECISION_ACTIONS, DismissReason

NO_SEGMENT = "unknown"  # a row decided before the log kept the account's segment
NO_REASON = "no reason"


@dataclass(frozen=True, slots=True)
class DecisionRow:
    """One override-log row, with what the summary reads."""

    trigger: str
    segment: str | None
    action: str
    reason_code: str | None
    seconds_to_decide: float


@dataclass(frozen=True, slots=True)
class SegmentSummary:
    segment: str
    cards: int  # cards decided (one decision per card)
    counts: Mapping[str, int]  # every DECISION_ACTIONS action, 0 when none
    dismiss_reasons: tuple[tuple[str, int], ...]  # DismissReason value (or NO_REASON), most first
    median_seconds: float | None

    def rate(self, action: str) -> float:
        return self.counts.get(action, 0) / self.cards if self.cards else 0.0


@dataclass(frozen=True, slots=True)
class TriggerSummary:
    trigger: str
    cards: int
    trips: int  # circuit-breaker trips of the trigger in the period
    segments: tuple[SegmentSummary, ...]  # most cards first


def is_decision(action: str) -> bool:
    return action in DECISION_ACTIONS


def summarise(rows: Iterable[DecisionRow], *, trips: Mapping[str, int] | None = None) -> list[TriggerSummary]:
    """Per trigger (most cards first, then by name), per segment; a trigger that only tripped
    the circuit breaker is listed too, with no cards."""
    grouped: dict[str, dict[str, list[DecisionRow]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        if is_decision(row.action):
            grouped[row.trigger][row.segment or NO_SEGMENT].append(row)
    trips = trips or {}
    summaries = []
    for trigger in set(grouped) | {name for name, count in trips.items() if count}:
        segments = sorted(
            (segment_summary(segment, decided) for segment, decided in grouped.get(trigger, {}).items()),
            key=lambda s: (-s.cards, s.segment),
        )
        cards = sum(s.cards for s in segments)
        summaries.append(TriggerSummary(trigger, cards, int(trips.get(trigger, 0)), tuple(segments)))
    return sorted(summaries, key=lambda s: (-s.cards, -s.trips, s.trigger))


def segment_summary(segment: str, rows: list[DecisionRow]) -> SegmentSummary:
    counts = Counter(row.action for row in rows)
    reasons = Counter(row.reason_code or NO_REASON for row in rows if row.action == "dismissed")
    return SegmentSummary(
        segment=segment,
        cards=len(rows),
        counts={action: counts.get(action, 0) for action in DECISION_ACTIONS},
        dismiss_reasons=tuple(sorted(reasons.items(), key=lambda pair: (-pair[1], pair[0]))),
        median_seconds=median([row.seconds_to_decide for row in rows]),
    )


def median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def reason_label(code: str) -> str:
    """A DismissReason value as its label ("False positive"); anything else with its underscores spaced."""
    try:
        return DismissReason(code).label
    except ValueError:
        return code.replace("_", " ")


def human_duration(seconds: float | None) -> str:
    """A time to decide as a person says it: "45s", "12m", "3h 5m", "2d 4h"; "–" for none."""
    if seconds is None:
        return "–"
    total = max(0, round(seconds))
    if total < 60:
        return f"{total}s"
    minutes = total // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"


def percent(share: float) -> str:
    return f"{round(share * 100)}%"
