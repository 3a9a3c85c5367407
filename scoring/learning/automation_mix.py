"""The quarterly automation-mix review (pure): how touches split across routes per segment, and
whether each route helps or hurts the relationships it touches.

Seed 000: "review your automation mix quarterly" and "measure relationship impact, not just
efficiency". A touch is one thing Tandem or a person did about a signal: an automated message
sent, or a card a person approved, edited or took over. Its impact is read from what followed:
a reply within `reply_days`, the health score `after_days` later against the day of the touch,
and the account's renewal or churn within `outcome_days`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import fmean

ROUTES = ("auto", "assist", "human", "escalate")
REPLY_DAYS = 14
AFTER_DAYS = 30
OUTCOME_DAYS = 120


@dataclass(frozen=True, slots=True)
class Touch:
    account_id: str
    segment: str
    route: str
    day: date  # when it went out (or when the person took it over)
    sent: bool  # a message reached the customer (a take-over sends nothing of Tandem's)
    replied: bool | None  # a reply within REPLY_DAYS; None for a touch that sent nothing
    health_before: int | None
    health_after: int | None  # AFTER_DAYS later (None: not scored yet, or no snapshot near it)
    outcome: str | None  # "renewed" / "churned" within OUTCOME_DAYS, else None


@dataclass
class RouteImpact:
    segment: str
    route: str
    touches: int = 0
    share: float = 0.0  # of the segment's touches
    sent: int = 0
    replied: int = 0
    health_changes: list[int] = field(default_factory=list)
    renewed: int = 0
    churned: int = 0

    @property
    def reply_rate(self) -> float | None:
        return self.replied / self.sent if self.sent else None

    @property
    def health_change(self) -> float | None:
        return fmean(self.health_changes) if self.health_changes else None

    @property
    def churn_rate(self) -> float | None:
        decided = self.renewed + self.churned
        return self.churned / decided if decided else None

    def as_dict(self) -> dict[str, object]:
        return {
            "segment": self.segment,
            "route": self.route,
            "touches": self.touches,
            "share": round(self.share, 4),
            "sent": self.sent,
            "reply_rate": None if self.reply_rate is None else round(self.reply_rate, 4),
            "health_change_30d": None if self.health_change is None else round(self.health_change, 2),
            "health_measured": len(self.health_changes),
            "renewed": self.renewed,
            "churned": self.churned,
            "churn_rate": None if self.churn_rate is None else round(self.churn_rate, 4),
        }


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int  # 1-4

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """ "2026Q3" or "2026-Q3"; ValueError names the expected shape."""
        cleaned = text.strip().upper().replace("-", "")
        year, _, number = cleaned.partition("Q")
        if not (year.isdigit() and number in {"1", "2", "3", "4"}):
            raise ValueError(f"a quarter looks like 2026Q3, not {text!r}")
        return cls(int(year), int(number))

    @classmethod
    def last_complete(cls, today: date) -> Quarter:
        current = (today.month - 1) // 3 + 1
        return cls(today.year - 1, 4) if current == 1 else cls(today.year, current - 1)

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:  # exclusive
        return date(self.year + 1, 1, 1) if self.number == 4 else date(self.year, 3 * self.number + 1, 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"


@dataclass
class MixReview:
    quarter: Quarter
    rows: list[RouteImpact]
    findings: list[str]

    def as_dict(self) -> dict[str, object]:
        return {
            "quarter": str(self.quarter),
            "rows": [row.as_dict() for row in self.rows],
            "findings": self.findings,
        }


def review(touches: Iterable[Touch], quarter: Quarter, *, min_touches: int = 10) -> MixReview:
    """Touches in the quarter, per segment × route, with their impact, and the findings worth a
    sentence: a route whose touched accounts churn or lose health clearly more than the
    segment's people-handled touches (only for cells with at least `min_touches`)."""
    cells: dict[tuple[str, str], RouteImpact] = {}
    per_segment: dict[str, int] = defaultdict(int)
    for touch in touches:
        if not (quarter.start <= touch.day < quarter.end):
            continue
        cell = cells.setdefault((touch.segment, touch.route), RouteImpact(touch.segment, touch.route))
        cell.touches += 1
        per_segment[touch.segment] += 1
        if touch.sent:
            cell.sent += 1
            cell.replied += 1 if touch.replied else 0
        if touch.health_before is not None and touch.health_after is not None:
            cell.health_changes.append(touch.health_after - touch.health_before)
        if touch.outcome == "renewed":
            cell.renewed += 1
        elif touch.outcome == "churned":
            cell.churned += 1
    for cell in cells.values():
        cell.share = cell.touches / per_segment[cell.segment]
    rows = sorted(
        cells.values(), key=lambda c: (c.segment, ROUTES.index(c.route) if c.route in ROUTES else 9)
    )
    return MixReview(quarter, rows, _findings(rows, min_touches))


def _findings(rows: Sequence[RouteImpact], min_touches: int) -> list[str]:
    """Where automation looks worse for the relationship than a person, in words."""
    found: list[str] = []
    by_segment: dict[str, dict[str, RouteImpact]] = defaultdict(dict)
    for row in rows:
        by_segment[row.segment][row.route] = row
    for segment, routes in sorted(by_segment.items()):
        auto = routes.get("auto")
        people = [routes[r] for r in ("assist", "human", "escalate") if r in routes]
        if auto is None or auto.touches < min_touches or not people:
            continue
        changes = [c for p in people for c in p.health_changes]
        if auto.health_change is not None and changes and auto.health_change < fmean(changes) - 5:
            findings_line = (
                f"{segment}: accounts touched by automation moved {auto.health_change:+.1f} points in "
                f"30 days, against {fmean(changes):+.1f} when a person handled them."
            )
            found.append(findings_line)
        people_churn = [p.churn_rate for p in people if p.churn_rate is not None]
        if auto.churn_rate is not None and people_churn and auto.churn_rate > max(people_churn) + 0.1:
            found.append(
                f"{segment}: {auto.churn_rate:.0%} of renewals after an automated touch churned, against "
                f"{max(people_churn):.0%} at most after a person's."
            )
        sent_people = sum(p.sent for p in people)
        replied_people = sum(p.replied for p in people)
        if auto.reply_rate is not None and sent_people >= min_touches:
            people_rate = replied_people / sent_people
            if auto.reply_rate < people_rate - 0.15:
                found.append(
                    f"{segment}: customers answered {auto.reply_rate:.0%} of automated messages against "
                    f"{people_rate:.0%} of those a person approved or wrote."
                )
    return found


def health_after(
    day: date, history: dict[date, int], *, after_days: int = AFTER_DAYS, tolerance: int = 3
) -> int | None:
    """The score `after_days` after `day` from a {day: score} history, nearest within `tolerance`."""
    target = day + timedelta(days=after_days)
    near = [(abs((d - target).days), s) for d, s in history.items() if abs((d - target).days) <= tolerance]
    return min(near)[1] if near else None
