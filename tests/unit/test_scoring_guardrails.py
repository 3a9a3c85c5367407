"""Guardrails per account: cooldowns, a card waiting, no cascades, the automated-touch cap."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from scoring.config import load_default_config
from scoring.context import crisis_key
from scoring.decisions import primary_decision
from scoring.guardrails import apply_guardrails, unanswered_touch
from scoring.routing import route_signal
from scoring.types import (
    AccountFacts,
    AutomationHistory,
    ContextKind,
    Decision,
    EngagementKind,
    Route,
    Segment,
    TriggerKey,
)
from tests.unit.scoring_factories import AS_OF, account, at, book, context, event, signal

CONFIG = load_default_config()


def _guarded(facts: AccountFacts, trigger: TriggerKey = TriggerKey.HEALTH_LOW) -> Decision:
    routed = route_signal(
        facts, signal(trigger), book=book(), as_of=AS_OF, config=CONFIG, sentiment_fired=False
    )
    return apply_guardrails(routed, facts, as_of=AS_OF, config=CONFIG)


def _with(history: AutomationHistory, **changes: object) -> AccountFacts:
    return account(history=history, **changes)


def _codes(decision: Decision) -> list[str]:
    return [reason.code for reason in decision.reasons]


def test_without_history_the_routed_decision_stands() -> None:
    decision = _guarded(account())
    assert decision.route is Route.AUTO and not decision.suppressed


def test_a_trigger_that_acted_inside_its_cooldown_is_kept_quiet() -> None:
    history = AutomationHistory(last_acted=((TriggerKey.HEALTH_LOW, AS_OF - timedelta(days=13)),))
    decision = _guarded(_with(history))
    assert decision.route is Route.HOLD and decision.suppressed
    assert _codes(decision)[0] == "cooldown"
    assert "cooldown is 14 days" in decision.reasons[0].sentence


def test_the_cooldown_ends_on_its_last_day() -> None:
    history = AutomationHistory(last_acted=((TriggerKey.HEALTH_LOW, AS_OF - timedelta(days=14)),))
    assert _guarded(_with(history)).route is Route.AUTO


def test_cooldowns_are_per_trigger() -> None:
    history = AutomationHistory(last_acted=((TriggerKey.SENTIMENT, AS_OF - timedelta(days=1)),))
    assert _guarded(_with(history), TriggerKey.HEALTH_LOW).route is Route.AUTO


def test_a_posted_card_waiting_for_a_decision_keeps_new_touches_quiet() -> None:
    history = AutomationHistory(waiting_card=(TriggerKey.HEALTH_DROP, AS_OF - timedelta(days=3)))
    decision = _guarded(_with(history))
    assert decision.route is Route.HOLD and decision.suppressed and _codes(decision)[0] == "card_waiting"


def test_an_escalation_passes_the_cooldown_and_a_waiting_card() -> None:
    from scoring.types import ContextKind
    from tests.unit.scoring_factories import context

    history = AutomationHistory(
        last_acted=((TriggerKey.COMPLEXITY, AS_OF - timedelta(days=2)),),
        waiting_card=(TriggerKey.HEALTH_LOW, AS_OF - timedelta(days=1)),
    )
    two = (context(ContextKind.CUSTOM_CONTRACT, 5), context(ContextKind.COMPLIANCE_REVIEW, 3))
    decision = _guarded(_with(history, context=two), TriggerKey.COMPLEXITY)
    assert decision.route is Route.ESCALATE and not decision.suppressed


def test_an_unanswered_automated_touch_sends_the_next_one_to_a_person() -> None:
    history = AutomationHistory(auto_touches=(at(20),))
    decision = _guarded(_with(history, engagement=(event(EngagementKind.OUTREACH_REPLIED, 40),)))
    assert decision.route is Route.ASSIST
    assert _codes(decision)[0] == "no_cascade"
    assert "never triggers another automated one" in decision.reasons[0].sentence
    # The matrix's sentence now says automation would have applied, not that it does.
    assert "Full automation would apply" in decision.reason_sentence


def test_a_reply_after_the_touch_lets_automation_continue() -> None:
    facts = _with(AutomationHistory(auto_touches=(at(20),)))
    facts = replace(facts, engagement=(*facts.engagement, event(EngagementKind.OUTREACH_REPLIED, 18)))
    assert unanswered_touch(facts, AS_OF) is None
    assert _guarded(facts).route is Route.AUTO


def test_a_reply_before_the_touch_does_not_answer_it() -> None:
    facts = _with(AutomationHistory(auto_touches=(at(20),)))
    facts = replace(facts, engagement=(event(EngagementKind.OUTREACH_REPLIED, 25),))
    assert unanswered_touch(facts, AS_OF) == at(20)


def test_an_unanswered_touch_older_than_the_cascade_window_no_longer_counts() -> None:
    facts = _with(
        AutomationHistory(auto_touches=(at(31),)), engagement=(event(EngagementKind.OUTREACH_REPLIED, 40),)
    )
    assert _guarded(facts).route is Route.AUTO


def test_the_cap_on_automated_touches_sends_the_next_to_a_person() -> None:
    facts = _with(AutomationHistory(auto_touches=(at(25), at(10))))
    facts = replace(facts, engagement=(*facts.engagement, event(EngagementKind.OUTREACH_REPLIED, 9)))
    decision = _guarded(facts)
    assert decision.route is Route.ASSIST and _codes(decision) == [
        "auto_touch_cap",
        "matrix_low_value_low_complexity",
    ]
    assert "2 automated touches in 30 days already (the cap is 2)" in decision.reasons[0].sentence


def test_touches_outside_the_window_do_not_count_toward_the_cap() -> None:
    facts = _with(AutomationHistory(auto_touches=(at(45), at(40))))
    facts = replace(facts, engagement=(*facts.engagement, event(EngagementKind.OUTREACH_REPLIED, 1)))
    assert _guarded(facts).route is Route.AUTO


def test_a_crisis_card_passes_the_cooldown_and_a_waiting_card_and_a_manual_flag_is_left_alone() -> None:
    """A crisis is news: the person who has the account hears of it, whatever Tandem did before."""
    history = AutomationHistory(
        last_acted=((TriggerKey.HEALTH_LOW, AS_OF - timedelta(days=2)),),
        waiting_card=(TriggerKey.HEALTH_LOW, AS_OF - timedelta(days=2)),
    )
    crisis = _guarded(_with(history, context=(context(ContextKind.SECURITY_INCIDENT, 1),)))
    assert crisis.route is Route.HUMAN and not crisis.suppressed and _codes(crisis) == ["crisis_context"]
    flag_history = AutomationHistory(last_acted=((TriggerKey.MANUAL_FLAG, AS_OF),))
    flagged = _guarded(_with(flag_history), TriggerKey.MANUAL_FLAG)
    assert flagged.route is Route.HUMAN


def test_a_suppressed_decision_never_leads_over_a_new_one() -> None:
    history = AutomationHistory(last_acted=((TriggerKey.HEALTH_LOW, AS_OF - timedelta(days=2)),))
    facts = _with(history, segment=Segment.ENTERPRISE)
    quiet = _guarded(facts, TriggerKey.HEALTH_LOW)
    new = _guarded(facts, TriggerKey.SENTIMENT)
    assert quiet.route is Route.HOLD and new.route is Route.ASSIST
    assert primary_decision([quiet, new]) is new
    assert primary_decision([quiet]) is quiet


def test_cooldowns_come_from_the_configuration() -> None:
    config = CONFIG.model_copy(
        update={
            "guardrails": CONFIG.guardrails.model_copy(update={"cooldown_days": {TriggerKey.HEALTH_LOW: 30}})
        }
    )
    facts = _with(AutomationHistory(last_acted=((TriggerKey.HEALTH_LOW, AS_OF - timedelta(days=20)),)))
    routed = route_signal(facts, signal(), book=book(), as_of=AS_OF, config=config, sentiment_fired=False)
    assert apply_guardrails(routed, facts, as_of=AS_OF, config=config).route is Route.HOLD
    assert apply_guardrails(routed, facts, as_of=AS_OF, config=CONFIG).route is Route.AUTO


def test_a_crisis_gets_one_card_not_one_a_day() -> None:
    """Once a card about this crisis went to a person (pending or decided), the crisis is
    recorded as a quiet hold each day it lasts; a new crisis gets a new card."""
    incident = context(ContextKind.SECURITY_INCIDENT, 3)
    carded = AutomationHistory(crisis_cards=((crisis_key(incident), AS_OF - timedelta(days=2)),))
    again = _guarded(_with(carded, context=(incident,)), TriggerKey.RENEWAL_RISK)
    assert again.route is Route.HOLD and again.suppressed
    assert _codes(again) == ["crisis_carded", "crisis_context"]
    assert (
        "security incident" in again.reasons[0].sentence
        and "already with a person" in again.reasons[0].sentence
    )
    assert again.celebratory_tone_blocked
    layoffs = context(ContextKind.LAYOFFS, 1)  # a new crisis on the same account
    new = _guarded(_with(carded, context=(incident, layoffs)))
    assert new.route is Route.HUMAN and not new.suppressed and "layoffs" in new.reason_sentence
