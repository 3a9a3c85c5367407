"""Triggers and routing: the 2x2 matrix and the seeds' hard rules over it."""

from __future__ import annotations

from scoring.config import load_default_config
from scoring.decisions import decide, primary_decision
from scoring.health import score_account
from scoring.types import (
    AccountFacts,
    AutomationMode,
    ContextKind,
    Decision,
    EngagementEvent,
    EngagementKind,
    Route,
    Segment,
    TriggerKey,
)
from tests.unit.scoring_factories import AS_OF, account, at, book, context, engaged, ticket, usage

CONFIG = load_default_config()


def _decisions(facts: AccountFacts, total_arr: float = 1_000_000.0) -> list[Decision]:
    health = score_account(facts, as_of=AS_OF, config=CONFIG)
    return decide(facts, health, book=book(total_arr), as_of=AS_OF, config=CONFIG)


def _low(**changes: object) -> AccountFacts:
    """An account whose health is clearly below 60."""
    defaults: dict[str, object] = {"usage": usage(5), "engagement": engaged(replies=2)}
    return account(**{**defaults, **changes})


def _route(
    facts: AccountFacts, trigger: TriggerKey = TriggerKey.HEALTH_LOW, total_arr: float = 1_000_000.0
) -> Decision:
    return next(d for d in _decisions(facts, total_arr) if d.trigger is trigger)


def test_a_healthy_account_fires_nothing() -> None:
    assert _decisions(account()) == []


def test_low_value_low_complexity_is_fully_automated() -> None:
    decision = _route(_low())
    assert decision.route is Route.AUTO and decision.reasons[0].code == "matrix_low_value"


def test_high_value_low_complexity_gets_a_draft_for_review() -> None:
    decision = _route(_low(segment=Segment.ENTERPRISE, arr=15_000.0))
    assert decision.route is Route.ASSIST and "enterprise account" in decision.reason_sentence


def test_top_decile_arr_counts_as_high_value_whatever_the_segment() -> None:
    assert _route(_low(arr=95_000.0)).route is Route.ASSIST  # the book's 90th percentile is 90,000


def test_above_two_percent_of_arr_a_human_reviews_every_touch() -> None:
    decision = _route(_low(arr=30_000.0), total_arr=1_000_000.0)
    assert decision.route is Route.ASSIST
    assert decision.reasons[0].code == "arr_share" and "3.0% of total ARR" in decision.reasons[0].sentence


def test_a_crisis_puts_outreach_on_hold_and_blocks_celebration() -> None:
    decision = _route(_low(context=(context(ContextKind.SECURITY_INCIDENT, 3),)))
    assert decision.route is Route.HOLD and decision.celebratory_tone_blocked
    assert "security incident reported 3 days ago" in decision.reason_sentence


def test_one_complexity_indicator_hands_over_to_a_human() -> None:
    facts = _low(context=(context(ContextKind.TECHNICAL_ESCALATION, 2),))
    assert {d.trigger for d in _decisions(facts)} == {TriggerKey.HEALTH_LOW, TriggerKey.COMPLEXITY}
    assert all(d.route is Route.HUMAN for d in _decisions(facts))


def test_two_complexity_indicators_escalate_to_csm_and_manager() -> None:
    facts = account(
        context=(context(ContextKind.CUSTOM_CONTRACT, 20), context(ContextKind.COMPLIANCE_REVIEW, 5))
    )
    decision = _route(facts, TriggerKey.COMPLEXITY)
    assert decision.route is Route.ESCALATE and decision.notify_manager
    assert "2 complexity indicators at once" in decision.reason_sentence


def test_an_ended_indicator_no_longer_counts() -> None:
    facts = account(context=(context(ContextKind.CUSTOM_CONTRACT, 40, ended_days_ago=20),))
    assert _decisions(facts) == []


def test_a_known_migration_routes_the_drop_to_a_human_not_outreach() -> None:
    facts = _low(usage=usage([80] * 50 + [5] * 10), context=(context(ContextKind.MIGRATION, 10),))
    decisions = _decisions(facts)
    assert decisions and all(d.route is Route.HUMAN for d in decisions)
    assert TriggerKey.HEALTH_DROP in {d.trigger for d in decisions}
    assert "migration" in decisions[0].reason_sentence


def test_the_csm_veto_sticks_and_a_take_over_pauses_automation() -> None:
    assert _route(_low(always_human=True)).route is Route.HUMAN
    assert _route(_low(always_human=True)).reasons[0].code == "csm_veto"
    assert _route(_low(human_handled=True)).route is Route.HUMAN
    assert _route(_low(automation_mode=AutomationMode.HUMAN)).route is Route.HUMAN


def test_an_account_set_to_assist_is_never_sent_automatically() -> None:
    assert _route(_low(automation_mode=AutomationMode.ASSIST)).route is Route.ASSIST


def test_frustration_makes_automation_step_aside() -> None:
    facts = _low(tickets=(ticket(3, escalation=True), ticket(10, escalation=True)))
    decisions = {d.trigger: d for d in _decisions(facts)}
    assert decisions[TriggerKey.SENTIMENT].route is Route.HUMAN
    assert "2 escalation requests" in decisions[TriggerKey.SENTIMENT].signal.summary
    assert decisions[TriggerKey.HEALTH_LOW].route is Route.ASSIST  # would have been auto


def test_reply_rate_below_twenty_percent_is_a_sentiment_signal() -> None:
    decision = _route(_low(engagement=engaged(replies=1, sent=8)), TriggerKey.SENTIMENT)
    assert "12%" in decision.signal.summary and decision.route is Route.HUMAN


def test_a_public_complaint_is_a_sentiment_signal() -> None:
    complaint = (*engaged(), EngagementEvent(at(2), EngagementKind.PUBLIC_COMPLAINT))
    assert _route(account(engagement=complaint), TriggerKey.SENTIMENT).route is Route.HUMAN


def test_the_most_cautious_decision_leads_the_card() -> None:
    facts = _low(tickets=(ticket(3, escalation=True), ticket(10, escalation=True)))
    lead = primary_decision(_decisions(facts))
    assert lead is not None and lead.route is Route.HUMAN and lead.trigger is TriggerKey.SENTIMENT


def test_every_decision_carries_a_reason_code_and_a_sentence() -> None:
    cases = [_low(), _low(segment=Segment.ENTERPRISE), _low(context=(context(ContextKind.LAYOFFS, 1),))]
    for facts in cases:
        for decision in _decisions(facts):
            assert decision.reasons and all(r.code and r.sentence.endswith(".") for r in decision.reasons)
