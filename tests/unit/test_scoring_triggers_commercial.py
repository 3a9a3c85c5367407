"""expansion_ready, renewal_risk, renewal_reminder and onboarding_stalled: when each fires, with
what figures, and where routing sends it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from scoring.config import load_default_config
from scoring.routing import route_signal
from scoring.triggers import fire_triggers
from scoring.types import Band, HealthResult, Route, Segment, Signal, TriggerKey
from tests.unit.scoring_factories import AS_OF, account, book, health, milestone

CONFIG = load_default_config()


def _fired(health_result: HealthResult, **changes: object) -> dict[TriggerKey, Signal]:
    facts = account(**changes)
    return {s.trigger: s for s in fire_triggers(facts, health_result, as_of=AS_OF, config=CONFIG)}


def _renewing_in(days: int, risk: float) -> dict[TriggerKey, Signal]:
    result = replace(health(70, Band.YELLOW), renewal_risk=risk)
    return _fired(result, renewal_date=AS_OF + timedelta(days=days))


def test_expansion_ready_fires_above_80_on_a_healthy_account() -> None:
    signals = _fired(replace(health(85, Band.GREEN), expansion_readiness=81))
    assert signals[TriggerKey.EXPANSION_READY].details["expansion_readiness"] == 81
    assert "Expansion ready (81/100)" in signals[TriggerKey.EXPANSION_READY].summary
    assert TriggerKey.EXPANSION_READY not in _fired(replace(health(85, Band.GREEN), expansion_readiness=80))


def test_an_unhealthy_account_is_no_upsell_whatever_its_readiness() -> None:
    assert TriggerKey.EXPANSION_READY not in _fired(replace(health(55), expansion_readiness=95))


def test_a_risky_renewal_30_to_60_days_out_fires_renewal_risk() -> None:
    for days in (30, 45, 60):
        signal = _renewing_in(days, 0.42)[TriggerKey.RENEWAL_RISK]
        assert signal.details["days_to_renewal"] == days and signal.details["renewal_risk"] == 0.42
        assert "42% chance of churn" in signal.summary
    assert TriggerKey.RENEWAL_RISK not in _renewing_in(29, 0.42)
    assert TriggerKey.RENEWAL_RISK not in _renewing_in(61, 0.42)
    assert TriggerKey.RENEWAL_RISK not in _renewing_in(45, 0.29)


def test_a_safe_renewal_gets_a_reminder_from_90_days_out() -> None:
    reminder = _renewing_in(90, 0.05)[TriggerKey.RENEWAL_REMINDER]
    assert "low risk (5% chance of churn)" in reminder.summary
    assert TriggerKey.RENEWAL_REMINDER in _renewing_in(7, 0.05)
    assert TriggerKey.RENEWAL_REMINDER not in _renewing_in(91, 0.05)
    assert TriggerKey.RENEWAL_REMINDER not in _renewing_in(6, 0.05)  # the CSM has the last stretch
    assert TriggerKey.RENEWAL_REMINDER not in _renewing_in(45, 0.15)  # not low risk: no reminder
    assert not {TriggerKey.RENEWAL_REMINDER, TriggerKey.RENEWAL_RISK} & set(_renewing_in(45, 0.2))


def test_a_renewal_out_of_view_fires_neither() -> None:
    result = replace(health(70, Band.YELLOW), renewal_risk=None)
    assert not {TriggerKey.RENEWAL_REMINDER, TriggerKey.RENEWAL_RISK} & set(_fired(result))


def test_an_overdue_onboarding_step_past_the_grace_fires_a_nudge() -> None:
    plan = (milestone("Kickoff call", 30, done_days_ago=31), milestone("SSO configured", 5))
    signal = _fired(health(80, Band.GREEN), milestones=plan)[TriggerKey.ONBOARDING_STALLED]
    assert signal.details["overdue_step"] == "SSO configured" and signal.details["overdue_days"] == 5
    assert "“SSO configured” is 5 days overdue (1 of 2 steps done)" in signal.summary
    within_grace = (milestone("SSO configured", 3),)
    assert TriggerKey.ONBOARDING_STALLED not in _fired(health(80, Band.GREEN), milestones=within_grace)
    done_late = (milestone("SSO configured", 10, done_days_ago=2),)
    assert TriggerKey.ONBOARDING_STALLED not in _fired(health(80, Band.GREEN), milestones=done_late)


def _route(trigger: TriggerKey, **changes: object) -> Route:
    facts = account(**changes)
    decision = route_signal(
        facts,
        Signal(facts.account_id, trigger, "s"),
        book=book(),
        as_of=AS_OF,
        config=CONFIG,
        sentiment_fired=False,
    )
    return decision.route


def test_expansion_is_a_hand_off_for_a_person_never_an_email() -> None:
    facts = account(segment=Segment.SELF_SERVE, arr=500.0)
    decision = route_signal(
        facts,
        Signal(facts.account_id, TriggerKey.EXPANSION_READY, "s"),
        book=book(),
        as_of=AS_OF,
        config=CONFIG,
        sentiment_fired=False,
    )
    assert decision.route is Route.HUMAN and decision.reasons[0].code == "sales_handoff"


def test_renewal_risk_is_never_automated_and_a_reminder_is_for_low_value_accounts() -> None:
    assert _route(TriggerKey.RENEWAL_RISK) is Route.ASSIST
    assert _route(TriggerKey.RENEWAL_RISK, segment=Segment.ENTERPRISE) is Route.HUMAN
    assert _route(TriggerKey.RENEWAL_REMINDER) is Route.AUTO
    assert _route(TriggerKey.RENEWAL_REMINDER, segment=Segment.ENTERPRISE) is Route.ASSIST
    assert _route(TriggerKey.ONBOARDING_STALLED) is Route.AUTO
    assert _route(TriggerKey.ONBOARDING_STALLED, segment=Segment.ENTERPRISE) is Route.ASSIST


def test_every_threshold_trigger_records_value_threshold_and_margin_alike() -> None:
    """Learning reads how far past its line each card fired without knowing the trigger."""
    fired = {
        **_fired(replace(health(85, Band.GREEN), expansion_readiness=86)),
        **_renewing_in(45, 0.42),
        **_fired(health(80, Band.GREEN), milestones=(milestone("SSO configured", 5),)),
        **{s.trigger: s for s in fire_triggers(account(), health(48), as_of=AS_OF, config=CONFIG)},
        **{
            s.trigger: s
            for s in fire_triggers(account(), health(60), as_of=AS_OF, config=CONFIG, previous_score=80)
        },
    }
    figures = {
        trigger: (s.details["value"], s.details["threshold"], s.details["margin"])
        for trigger, s in fired.items()
    }
    assert figures[TriggerKey.EXPANSION_READY] == (86, 80, 6)
    assert figures[TriggerKey.RENEWAL_RISK] == (0.42, 0.30, 0.12)
    assert figures[TriggerKey.ONBOARDING_STALLED] == (5, 3, 2)
    assert figures[TriggerKey.HEALTH_LOW] == (48, 60, 12)
    assert figures[TriggerKey.HEALTH_DROP] == (0.25, 0.20, 0.05)
    reminder = _renewing_in(60, 0.05)[TriggerKey.RENEWAL_REMINDER]
    assert (reminder.details["value"], reminder.details["threshold"], reminder.details["margin"]) == (
        0.05,
        0.15,
        0.1,
    )
