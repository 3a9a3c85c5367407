"""Routing: each cell of the value × complexity matrix, and every hard rule over it, in order."""

from __future__ import annotations

import pytest

from scoring.config import load_default_config
from scoring.decisions import decide, primary_decision
from scoring.health import score_account
from scoring.routing import route_signal
from scoring.types import (
    AccountFacts,
    AutomationMode,
    BookFacts,
    ContextKind,
    Decision,
    EngagementKind,
    Reason,
    Route,
    Segment,
    Severity,
    TriggerKey,
)
from tests.unit.scoring_factories import AS_OF, account, book, context, engaged, event, signal, ticket, usage

CONFIG = load_default_config()
BOOK = book()  # total ARR 1,000,000: 2% is 20,000; the 90th ARR percentile is 90,000


def _route(
    facts: AccountFacts, trigger: TriggerKey = TriggerKey.HEALTH_LOW, *, sentiment: bool = False
) -> Decision:
    return route_signal(
        facts, signal(trigger), book=BOOK, as_of=AS_OF, config=CONFIG, sentiment_fired=sentiment
    )


def _codes(decision: Decision) -> list[str]:
    return [reason.code for reason in decision.reasons]


def _decisions(facts: AccountFacts) -> dict[TriggerKey, Decision]:
    health = score_account(facts, as_of=AS_OF, config=CONFIG)
    return {d.trigger: d for d in decide(facts, health, book=BOOK, as_of=AS_OF, config=CONFIG)}


def _low(**changes: object) -> AccountFacts:
    """An account whose health is clearly below 60 (and calm otherwise)."""
    return account(**{"usage": usage(5), "engagement": engaged(replies=2), **changes})


SEVERE_OPEN = (ticket(2, Severity.HIGH, closed=False), ticket(4, Severity.URGENT, closed=False))


# The matrix


def test_low_value_low_complexity_is_fully_automated() -> None:
    decision = _route(account(segment=Segment.SELF_SERVE, arr=2_000.0))
    assert decision.route is Route.AUTO
    assert decision.reasons[0].sentence == "Full automation: self-serve account, low complexity."
    assert _codes(decision) == ["matrix_low_value_low_complexity"]


def test_high_value_low_complexity_gets_a_draft_for_review() -> None:
    decision = _route(account(segment=Segment.ENTERPRISE, arr=15_000.0))
    assert decision.route is Route.ASSIST and _codes(decision) == ["matrix_high_value_low_complexity"]
    assert decision.reason_sentence == "Human with automation assist: enterprise account, low complexity."


def test_high_value_high_complexity_is_always_human() -> None:
    decision = _route(account(segment=Segment.MID_MARKET, arr=15_000.0, tickets=SEVERE_OPEN))
    assert decision.route is Route.HUMAN and _codes(decision) == ["matrix_high_value_high_complexity"]
    assert "2 open high or urgent tickets" in decision.reason_sentence


def test_low_value_high_complexity_is_selective_a_person_approves() -> None:
    decision = _route(account(), TriggerKey.RENEWAL_RISK)
    assert decision.route is Route.ASSIST and _codes(decision) == ["matrix_low_value_high_complexity"]
    assert "renewal risk conversation" in decision.reason_sentence


def test_one_open_severe_ticket_is_not_yet_high_complexity() -> None:
    assert _route(account(tickets=SEVERE_OPEN[:1])).route is Route.AUTO


def test_top_decile_arr_counts_as_high_value_whatever_the_segment() -> None:
    big_book = book(total_arr=100_000_000.0)  # keeps the 2% rule out of the way

    def route(arr: float) -> Decision:
        return route_signal(
            account(arr=arr), signal(), book=big_book, as_of=AS_OF, config=CONFIG, sentiment_fired=False
        )

    assert route(89_000.0).route is Route.AUTO
    top = route(95_000.0)
    assert top.route is Route.ASSIST and _codes(top) == ["matrix_high_value_low_complexity"]
    assert "SMB account with top-10% ARR ($95,000)" in top.reason_sentence


# Hard rules


def test_the_csm_veto_a_take_over_and_human_mode_route_to_a_human() -> None:
    assert _codes(_route(account(always_human=True))) == ["csm_veto"]
    assert _codes(_route(account(human_handled=True))) == ["taken_over"]
    assert _codes(_route(account(automation_mode=AutomationMode.HUMAN))) == ["account_human_mode"]
    assert all(
        _route(account(**{key: value})).route is Route.HUMAN
        for key, value in (
            ("always_human", True),
            ("human_handled", True),
            ("automation_mode", AutomationMode.HUMAN),
        )
    )


def test_the_veto_beats_even_an_escalation() -> None:
    two = (context(ContextKind.CUSTOM_CONTRACT, 20), context(ContextKind.COMPLIANCE_REVIEW, 5))
    decision = _route(account(always_human=True, context=two), TriggerKey.COMPLEXITY)
    assert decision.route is Route.HUMAN and not decision.notify_manager


def test_two_complexity_indicators_escalate_to_the_csm_and_manager() -> None:
    two = (context(ContextKind.CUSTOM_CONTRACT, 20), context(ContextKind.COMPLIANCE_REVIEW, 5))
    decision = _route(account(context=two), TriggerKey.COMPLEXITY)
    assert decision.route is Route.ESCALATE and decision.notify_manager
    assert _codes(decision) == ["complexity_multiple"]
    assert "2 complexity indicators at once (compliance review and custom contract negotiation)" in (
        decision.reason_sentence
    )


def test_two_events_of_one_indicator_are_one_indicator() -> None:
    same = (context(ContextKind.CUSTOM_CONTRACT, 20), context(ContextKind.CUSTOM_CONTRACT, 5))
    assert _route(account(context=same), TriggerKey.COMPLEXITY).route is Route.HUMAN


def test_escalation_beats_a_crisis() -> None:
    facts = account(
        context=(
            context(ContextKind.CUSTOM_CONTRACT, 20),
            context(ContextKind.TECHNICAL_ESCALATION, 5),
            context(ContextKind.LAYOFFS, 3),
        )
    )
    decision = _route(facts)
    assert decision.route is Route.ESCALATE and decision.notify_manager and decision.celebratory_tone_blocked


@pytest.mark.parametrize(
    "kind",
    [ContextKind.SECURITY_INCIDENT, ContextKind.LAYOFFS, ContextKind.MERGER, ContextKind.CHAMPION_CHANGE],
)
def test_a_crisis_pauses_automation_not_people(kind: ContextKind) -> None:
    """ "Keep humans in high-stakes moments — a customer in crisis": no automated send, and a
    person, not silence."""
    decision = _route(account(context=(context(kind, 3),)))
    assert decision.route is Route.HUMAN and decision.celebratory_tone_blocked
    assert _codes(decision) == ["crisis_context"]


def test_the_crisis_reason_says_what_and_when_and_names_the_crisis_it_is_about() -> None:
    incident = context(ContextKind.SECURITY_INCIDENT, 3)
    decision = _route(account(context=(context(ContextKind.LAYOFFS, 20), incident)))
    assert decision.reason_sentence.startswith(
        "Automated outreach paused: security incident reported 3 days ago. Reach out personally"
    )
    assert decision.signal.details["crisis_key"] == f"security_incident@{incident.starts_at.isoformat()}"


def test_a_crisis_beats_a_single_complexity_indicator_and_a_recent_one_still_holds() -> None:
    both = account(
        context=(context(ContextKind.MERGER, 5), context(ContextKind.EXECUTIVE_BUSINESS_REVIEW, 2))
    )
    assert _codes(_route(both)) == ["crisis_context"]
    recently_over = account(context=(context(ContextKind.LAYOFFS, 40, ended_days_ago=10),))
    long_over = account(context=(context(ContextKind.LAYOFFS, 90, ended_days_ago=60),))
    assert _codes(_route(recently_over)) == ["crisis_context"] and _route(long_over).route is Route.AUTO


def test_a_vetoed_account_in_crisis_stays_human_but_tone_is_still_blocked() -> None:
    decision = _route(account(always_human=True, context=(context(ContextKind.LAYOFFS, 1),)))
    assert decision.route is Route.HUMAN and decision.celebratory_tone_blocked


def test_one_complexity_indicator_hands_over_to_a_human() -> None:
    facts = _low(context=(context(ContextKind.TECHNICAL_ESCALATION, 2),))
    decisions = _decisions(facts)
    assert set(decisions) == {TriggerKey.HEALTH_LOW, TriggerKey.COMPLEXITY}
    assert all(d.route is Route.HUMAN and _codes(d) == ["complexity_single"] for d in decisions.values())
    assert not any(d.notify_manager for d in decisions.values())


def test_a_known_migration_routes_the_drop_to_a_human_not_outreach() -> None:
    facts = _low(usage=usage([60] * 50 + [3] * 10), context=(context(ContextKind.MIGRATION, 10),))
    decisions = _decisions(facts)
    assert TriggerKey.HEALTH_DROP in decisions and TriggerKey.HEALTH_LOW in decisions
    assert all(d.route is Route.HUMAN and _codes(d) == ["known_context"] for d in decisions.values())
    assert "known context explains the drop (instance migration started 2026-02-20)" in (
        decisions[TriggerKey.HEALTH_LOW].reason_sentence
    )
    without = _decisions(_low(usage=usage([60] * 50 + [3] * 10)))
    assert without[TriggerKey.HEALTH_LOW].route is Route.AUTO  # the context is what changed it


def test_a_single_complexity_indicator_beats_a_migration() -> None:
    facts = account(context=(context(ContextKind.MIGRATION, 5), context(ContextKind.COMPLIANCE_REVIEW, 5)))
    assert _codes(_route(facts)) == ["complexity_single"]


@pytest.mark.parametrize(
    ("arr", "route"), [(20_000.0, Route.AUTO), (20_100.0, Route.ASSIST), (31_000.0, Route.ASSIST)]
)
def test_above_two_percent_of_total_arr_a_human_reviews(arr: float, route: Route) -> None:
    no_percentiles = BookFacts(total_arr=1_000_000.0, account_count=100)  # value by segment only
    decision = route_signal(
        account(arr=arr), signal(), book=no_percentiles, as_of=AS_OF, config=CONFIG, sentiment_fired=False
    )
    assert decision.route is route  # exactly 2% is not above the limit
    if route is Route.ASSIST:
        assert _codes(decision) == ["arr_share_above_limit", "matrix_low_value_low_complexity"]
        assert (
            decision.reasons[0].sentence == f"Human review: Acme Corp is {arr / 1_000_000:.1%} of total ARR."
        )


def test_the_two_percent_rule_is_named_even_when_the_matrix_already_asks_for_review() -> None:
    decision = _route(account(segment=Segment.ENTERPRISE, arr=31_000.0))
    assert decision.route is Route.ASSIST
    assert _codes(decision) == ["arr_share_above_limit", "matrix_high_value_low_complexity"]


def test_a_low_reply_rate_alone_makes_automation_step_aside_for_a_review() -> None:
    decisions = _decisions(_low(engagement=engaged(replies=1, sent=8)))
    assert decisions[TriggerKey.SENTIMENT].route is Route.ASSIST
    assert decisions[TriggerKey.HEALTH_LOW].route is Route.ASSIST  # would have been auto
    assert _codes(decisions[TriggerKey.HEALTH_LOW]) == ["sentiment", "matrix_low_value_low_complexity"]
    assert _decisions(_low())[TriggerKey.HEALTH_LOW].route is Route.AUTO


ANGRY = "This is unacceptable, we are losing patience."


@pytest.mark.parametrize(
    ("changes", "sign"),
    [
        ({"tickets": (ticket(3, escalation=True), ticket(10, escalation=True))}, "2 escalation requests"),
        (
            {"engagement": (*engaged(replies=2), event(EngagementKind.PUBLIC_COMPLAINT, 4))},
            "public complaint",
        ),
        ({"tickets": (ticket(3, body=ANGRY), ticket(9, body=ANGRY))}, "frustrated language"),
    ],
    ids=["escalation-requests", "public-complaint", "frustrated-language"],
)
def test_a_frustrated_customer_gets_a_person_not_a_send_button(changes: dict[str, object], sign: str) -> None:
    """ "When a customer is frustrated, the worst possible response is a well-crafted automated
    email": every touchpoint of the account goes to a person, with no draft to approve."""
    decisions = _decisions(_low(**changes))
    assert {TriggerKey.SENTIMENT, TriggerKey.HEALTH_LOW} <= set(decisions)
    for decision in decisions.values():
        assert decision.route is Route.HUMAN and _codes(decision)[0] == "sentiment_frustrated"
        assert sign in decision.reasons[0].sentence and "Acme Corp" in decision.reasons[0].sentence


def test_frustration_never_lowers_a_more_cautious_route() -> None:
    two = (context(ContextKind.CUSTOM_CONTRACT, 20), context(ContextKind.COMPLIANCE_REVIEW, 5))
    facts = _low(tickets=(ticket(3, escalation=True), ticket(10, escalation=True)), context=two)
    assert primary_decision(list(_decisions(facts).values())).route is Route.ESCALATE  # type: ignore[union-attr]


def test_sentiment_never_lowers_a_more_cautious_route() -> None:
    decision = _route(account(segment=Segment.ENTERPRISE, tickets=SEVERE_OPEN), sentiment=True)
    assert decision.route is Route.HUMAN


def test_an_account_set_to_assist_is_never_sent_automatically() -> None:
    decision = _route(account(automation_mode=AutomationMode.ASSIST))
    assert decision.route is Route.ASSIST and _codes(decision)[0] == "account_assist_mode"
    assert _route(account(automation_mode=AutomationMode.AUTO)).route is Route.AUTO


def test_a_held_trigger_never_hides_a_person_s_card() -> None:
    """A circuit-breaker hold pauses automation on its trigger; a crisis or a complexity
    indicator on another trigger still reaches a person."""
    crisis = _route(account(context=(context(ContextKind.SECURITY_INCIDENT, 3),)), TriggerKey.RENEWAL_RISK)
    held = Decision(signal(TriggerKey.HEALTH_LOW), Route.HOLD, (Reason("circuit_breaker", "On hold."),))
    assert primary_decision([held, crisis]) is crisis
    assert primary_decision([held, _route(account())]) is held  # an automated touch still waits


def test_the_most_cautious_decision_leads_the_card() -> None:
    facts = _low(
        context=(context(ContextKind.CUSTOM_CONTRACT, 20), context(ContextKind.COMPLIANCE_REVIEW, 5))
    )
    lead = primary_decision(list(_decisions(facts).values()))
    assert lead is not None and lead.route is Route.ESCALATE
    assert primary_decision([]) is None


@pytest.mark.parametrize(
    "facts",
    [
        _low(),
        _low(segment=Segment.ENTERPRISE),
        _low(arr=50_000.0),
        _low(context=(context(ContextKind.LAYOFFS, 1),)),
        _low(context=(context(ContextKind.DATA_GAP, 4),)),
        _low(automation_mode=AutomationMode.ASSIST, engagement=engaged(0, 6)),
    ],
)
def test_every_decision_carries_a_reason_code_and_a_sentence(facts: AccountFacts) -> None:
    decisions = _decisions(facts)
    assert decisions
    for decision in decisions.values():
        assert decision.reasons
        assert all(r.code and r.code == r.code.lower() and r.sentence.endswith(".") for r in decision.reasons)


def test_a_manual_flag_always_goes_to_a_person() -> None:
    plain = _route(account(), TriggerKey.MANUAL_FLAG)
    assert plain.route is Route.HUMAN and _codes(plain)[0] == "manual_flag"
    in_crisis = _route(account(context=(context(ContextKind.SECURITY_INCIDENT, 2),)), TriggerKey.MANUAL_FLAG)
    assert in_crisis.route is Route.HUMAN and in_crisis.celebratory_tone_blocked
    assert _codes(in_crisis) == ["manual_flag", "crisis_context"]
    two = (context(ContextKind.CUSTOM_CONTRACT, 9), context(ContextKind.COMPLIANCE_REVIEW, 3))
    assert _route(account(context=two), TriggerKey.MANUAL_FLAG).route is Route.ESCALATE
