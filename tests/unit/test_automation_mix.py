"""The quarterly automation-mix review: shares per route and segment, and relationship impact."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from scoring.learning.automation_mix import Quarter, Touch, health_after, review

Q1 = Quarter(2026, 1)


def touch(route: str, *, segment: str = "smb", day: date = date(2026, 2, 1), replied: bool | None = True,
          before: int | None = 60, after: int | None = 62, outcome: str | None = None, sent: bool = True) -> Touch:  # fmt: skip
    return Touch("A", segment, route, day, sent, replied if sent else None, before, after, outcome)


def test_quarters_parse_and_know_their_days() -> None:
    assert Quarter.parse("2026q3") == Quarter(2026, 3) == Quarter.parse("2026-Q3")
    assert (Quarter(2026, 4).start, Quarter(2026, 4).end) == (date(2026, 10, 1), date(2027, 1, 1))
    assert Quarter.last_complete(date(2026, 1, 15)) == Quarter(2025, 4)
    assert Quarter.last_complete(date(2026, 12, 3)) == Quarter(2026, 3)
    with pytest.raises(ValueError, match="2026Q3"):
        Quarter.parse("third quarter")


def test_shares_replies_health_and_churn_per_segment_and_route() -> None:
    touches = [
        touch("auto", replied=False, before=60, after=50, outcome="churned"),
        touch("auto", replied=True, before=60, after=58, outcome="renewed"),
        touch("auto", replied=False, before=None),
        touch("assist", replied=True, before=55, after=65, outcome="renewed"),
        touch("human", sent=False, before=40, after=50),
        touch("auto", segment="enterprise"),
        touch("auto", day=date(2026, 4, 1)),  # next quarter: not counted
    ]
    result = review(touches, Q1)
    rows = {(r.segment, r.route): r for r in result.rows}
    auto = rows[("smb", "auto")]
    assert (auto.touches, auto.share, auto.sent, auto.replied) == (3, 3 / 5, 3, 1)
    assert auto.health_change == pytest.approx(-6.0) and auto.churn_rate == 0.5
    assert rows[("smb", "human")].reply_rate is None and rows[("smb", "human")].health_change == 10
    assert rows[("enterprise", "auto")].share == 1.0
    assert [r.route for r in result.rows if r.segment == "smb"] == ["auto", "assist", "human"]


def test_a_route_that_hurts_the_accounts_it_touches_is_named() -> None:
    hurting = [touch("auto", replied=False, before=60, after=48, outcome="churned") for _ in range(12)]
    people = [touch("assist", replied=True, before=60, after=63, outcome="renewed") for _ in range(12)]
    findings = review(hurting + people, Q1).findings
    assert any("moved -12.0 points" in f for f in findings)
    assert any("100% of renewals after an automated touch churned" in f for f in findings)
    assert any("answered 0% of automated messages against 100%" in f for f in findings)
    # The same numbers on a handful of touches are not a finding: too few to say.
    assert review(hurting[:3] + people, Q1).findings == []
    # And automation doing as well as people is not one either.
    assert review([touch("auto") for _ in range(12)] + people, Q1).findings == []


def test_health_after_reads_the_nearest_snapshot_within_tolerance() -> None:
    day = date(2026, 2, 1)
    history = {day + timedelta(days=29): 70, day + timedelta(days=35): 10}
    assert health_after(day, history) == 70
    assert health_after(day, {day + timedelta(days=40): 1}) is None
