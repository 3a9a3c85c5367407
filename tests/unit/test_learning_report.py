"""The report's other measures on hand-made data: workload, decision time, dismiss trend,
recall of churned accounts, edit rates, and the window dated by cycle days."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from scoring.config import Learning
from scoring.learning.report import build_report
from scoring.learning.types import CardRecord, KnownOutcome
from scoring.learning.weeks import report_weeks, week_of
from tests.unit.learning_factories import DAY, decision

AS_OF = DAY + timedelta(days=16)  # a Wednesday, in the third week from DAY
WEEKS = report_weeks(AS_OF, 3)
LATER = datetime.combine(AS_OF + timedelta(days=1), time(9), tzinfo=UTC)


def _card(n: int, day: object, recipient: str = "U1", **extra: object) -> CardRecord:
    values: dict[str, object] = {"card_id": n, "account_id": f"ACC-{n}", "trigger": "health_low",
                                 "segment": "smb", "recipient": recipient, "cycle_day": day, "state": "pending"}  # fmt: skip
    return CardRecord(**{**values, **extra})  # type: ignore[arg-type]


def test_weeks_are_mondays_ending_with_the_as_of_week() -> None:
    assert report_weeks(AS_OF, 3) == [DAY, DAY + timedelta(days=7), DAY + timedelta(days=14)]
    assert all(week.weekday() == 0 for week in WEEKS) and week_of(AS_OF) == WEEKS[-1]
    with pytest.raises(ValueError):
        report_weeks(AS_OF, 0)


def test_cards_per_csm_count_quiet_csms_as_zero_and_time_to_decision_is_summarised() -> None:
    cards = [_card(n, DAY, "U1") for n in range(6)] + [_card(10 + n, DAY, "U2") for n in range(2)]
    decisions = [decision("approved", seconds_to_decide=s) for s in (60, 120, 180, 240, 3600)]
    report = build_report(
        decisions, cards, [], csms=["U1", "U2", "U3"], as_of=AS_OF, weeks=3, settings=Learning()
    )
    first = report.workload[0]
    assert (first.week, first.csms, first.cards) == (DAY, 3, 8)
    assert first.cards_per_csm_median == 2 and first.cards_per_csm_p90 == pytest.approx(5.2)
    assert first.decision_seconds_median == 180 and first.decided == 5
    assert report.workload[1].cards == 0 and report.workload[1].cards_per_csm_median == 0


def test_cells_split_by_trigger_segment_and_cycle_week_with_a_dismiss_trend() -> None:
    decisions = [
        *[decision("approved", day=DAY) for _ in range(8)],
        *[decision("dismissed", "false_positive", day=DAY) for _ in range(2)],
        *[decision("approved", day=DAY + timedelta(days=7)) for _ in range(5)],
        *[decision("dismissed", "known_context", day=DAY + timedelta(days=8)) for _ in range(5)],
        decision("approved", day=DAY, segment="enterprise"),
        decision("approved", day=DAY - timedelta(days=1)),  # before the window
        decision("approved", day=DAY + timedelta(days=14), decided_at=LATER),  # not known on AS_OF
    ]
    report = build_report(decisions, [], [], csms=[], as_of=AS_OF, weeks=3, settings=Learning())
    smb = {c.week: c for c in report.cells if c.segment == "smb"}
    assert set(smb) == {DAY, DAY + timedelta(days=7)}
    first, second = smb[DAY], smb[DAY + timedelta(days=7)]
    assert (first.decided, first.labels, first.approvals, first.dismiss_rate) == (10, 10, 8, 0.2)
    assert (second.decided, second.labels, second.dismiss_rate) == (10, 5, 0.5)  # known context: no label
    assert second.dismiss_reasons == {"known_context": 5}
    assert first.precision is not None and first.precision_low <= first.precision <= first.precision_high  # type: ignore[operator]
    [trend] = [t for t in report.trends if t.segment == "smb"]
    assert (trend.first_rate, trend.last_rate, trend.slope_per_week) == (0.2, 0.5, 0.3)


def test_recall_counts_churned_accounts_carded_at_least_30_days_before_and_the_lead_time() -> None:
    churn = AS_OF - timedelta(days=2)
    outcomes = [
        KnownOutcome("ACC-1", "smb", churn, True),  # carded 45 and 10 days before: caught, lead 45
        KnownOutcome("ACC-2", "smb", churn, True),  # carded 10 days before only: too late
        KnownOutcome("ACC-3", "enterprise", churn, True),  # never carded
        KnownOutcome("ACC-4", "smb", churn, False),  # renewed: not in recall
        KnownOutcome("ACC-5", "smb", DAY - timedelta(days=30), True),  # churned before the window
    ]
    cards = [
        _card(1, churn - timedelta(days=45)),
        _card(1, churn - timedelta(days=10)),
        _card(2, churn - timedelta(days=10)),
        _card(5, churn - timedelta(days=200)),
    ]
    report = build_report([], cards, outcomes, csms=[], as_of=AS_OF, weeks=3, settings=Learning())
    overall, enterprise, smb = report.recall
    assert (overall.segment, overall.churned, overall.caught, overall.recall) == ("all", 3, 1, 0.3333)
    assert overall.lead_days_median == 45 and overall.missed == ("ACC-2", "ACC-3")
    assert overall.recall_low is not None and overall.recall_low < 0.3333 < (overall.recall_high or 0)
    assert (enterprise.segment, enterprise.caught, smb.segment, smb.caught, smb.churned) == (
        "enterprise",
        0,
        "smb",
        1,
        2,
    )


def test_edit_rate_per_draft_kind_and_prompt_version() -> None:
    drafted = {"draft_kind": "check_in", "prompt_version": "check_in@2"}
    decisions = [
        decision("approved", **drafted),
        decision("edited", edit_size=0.1, **drafted),
        decision("edited", edit_size=0.5, **drafted),
        decision("taken_over", **drafted),
        decision("approved", draft_kind="check_in", prompt_version="check_in@1"),
        decision("dismissed", "false_positive", **drafted),  # not a decision on the draft
    ]
    report = build_report(decisions, [], [], csms=[], as_of=AS_OF, weeks=3, settings=Learning())
    old, new = report.edits
    assert (old.prompt_version, old.edit_rate) == ("check_in@1", 0.0)
    assert (new.decisions, new.approved, new.edited, new.taken_over) == (4, 1, 2, 1)
    assert new.edit_rate == pytest.approx(0.6667) and new.takeover_rate == 0.25
    assert new.edit_size_median == pytest.approx(0.3)
