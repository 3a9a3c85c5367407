"""Which triggers fire: health_low at the threshold, health_drop, sentiment and complexity."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scoring.config import load_default_config
from scoring.decisions import previous_score
from scoring.health import score_account
from scoring.triggers import fire_triggers, frustration, sentiment_evidence
from scoring.types import AccountFacts, Band, ContextKind, EngagementKind, Signal, TriggerKey
from tests.unit.scoring_factories import AS_OF, account, context, engaged, event, health, ticket, usage

CONFIG = load_default_config()
ANGRY = "This is unacceptable, we are losing patience."


def _fired(facts: AccountFacts, score: int = 90, previous: int | None = None) -> dict[TriggerKey, Signal]:
    band = Band.GREEN if score >= 75 else Band.YELLOW if score >= 60 else Band.RED
    signals = fire_triggers(facts, health(score, band), as_of=AS_OF, config=CONFIG, previous_score=previous)
    return {s.trigger: s for s in signals}


def test_a_healthy_calm_account_fires_nothing() -> None:
    facts = account()
    assert (
        fire_triggers(facts, score_account(facts, as_of=AS_OF, config=CONFIG), as_of=AS_OF, config=CONFIG)
        == []
    )


@pytest.mark.parametrize(("score", "fires"), [(59, True), (60, False), (0, True), (75, False)])
def test_health_low_fires_below_the_threshold_only(score: int, fires: bool) -> None:
    assert (TriggerKey.HEALTH_LOW in _fired(account(), score)) is fires


def test_health_low_says_why_and_carries_the_figures() -> None:
    facts = account(usage=usage([40] * 30 + [9] * 30, seats=40))
    result = score_account(facts, as_of=AS_OF, config=CONFIG)
    [low] = [
        s
        for s in fire_triggers(facts, result, as_of=AS_OF, config=CONFIG)
        if s.trigger is TriggerKey.HEALTH_LOW
    ]
    assert low.summary.startswith(
        f"Health {result.score} (red) is below 60: usage pulls it down most — 9 of 40"
    )
    assert (
        low.details["score"] == result.score
        and low.details["band"] == "red"
        and low.details["threshold"] == 60
    )


def test_health_drop_fires_on_a_fall_of_a_fifth_or_more() -> None:
    assert TriggerKey.HEALTH_DROP in _fired(account(), 72, previous=90)  # exactly 20%
    assert TriggerKey.HEALTH_DROP not in _fired(account(), 73, previous=90)
    drop = _fired(account(), 60, previous=90)[TriggerKey.HEALTH_DROP]
    assert "fell 33% in 30 days (90 → 60)" in drop.summary and drop.details["previous_score"] == 90


def test_the_previous_score_comes_from_history_near_the_day_or_is_recomputed() -> None:
    then = AS_OF - timedelta(days=30)
    stored = account(score_history=((then - timedelta(days=2), 88), (then - timedelta(days=9), 10)))
    assert previous_score(stored, as_of=AS_OF, config=CONFIG) == 88
    recomputed = previous_score(account(usage=usage(75, days=90)), as_of=AS_OF, config=CONFIG)
    assert recomputed == score_account(account(usage=usage(75, days=90)), as_of=then, config=CONFIG).score
    assert previous_score(account(usage=usage(75, days=20)), as_of=AS_OF, config=CONFIG) is None


def test_two_escalation_requests_in_30_days_are_a_sentiment_signal_one_is_not() -> None:
    one = account(tickets=(ticket(3, escalation=True), ticket(40, escalation=True)))
    two = account(tickets=(ticket(3, escalation=True), ticket(20, escalation=True)))
    assert TriggerKey.SENTIMENT not in _fired(one)
    assert "2 escalation requests in 30 days" in _fired(two)[TriggerKey.SENTIMENT].summary


def test_a_public_complaint_in_30_days_is_a_sentiment_signal() -> None:
    recent = account(engagement=(*engaged(), event(EngagementKind.PUBLIC_COMPLAINT, 2)))
    old = account(engagement=(*engaged(), event(EngagementKind.PUBLIC_COMPLAINT, 45)))
    as_context = account(context=(context(ContextKind.PUBLIC_COMPLAINT, 5),))
    assert TriggerKey.SENTIMENT in _fired(recent) and TriggerKey.SENTIMENT in _fired(as_context)
    assert TriggerKey.SENTIMENT not in _fired(old)


@pytest.mark.parametrize(
    ("replies", "sent", "fires"), [(0, 5, True), (0, 4, False), (1, 6, True), (1, 5, False), (2, 8, False)]
)
def test_a_reply_rate_below_20_percent_on_5_or_more_emails_is_a_sentiment_signal(
    replies: int, sent: int, fires: bool
) -> None:
    assert (TriggerKey.SENTIMENT in _fired(account(engagement=engaged(replies, sent)))) is fires


def test_increasingly_frustrated_ticket_language_is_a_sentiment_signal() -> None:
    rising = account(tickets=(ticket(3, body=ANGRY), ticket(9, body=ANGRY.upper())))
    steady = account(
        tickets=(ticket(3, body=ANGRY), ticket(9, body=ANGRY), ticket(35, body=ANGRY), ticket(50, body=ANGRY))
    )
    calm = account(tickets=(ticket(3, body="How do I add an admin?"), ticket(9, body="Thanks!")))
    assert sentiment_evidence(rising, AS_OF, CONFIG) == [
        "2 tickets in frustrated language in 30 days (up from 0)"
    ]
    assert sentiment_evidence(steady, AS_OF, CONFIG) == []
    assert sentiment_evidence(calm, AS_OF, CONFIG) == []


def test_an_active_complexity_indicator_fires_complexity_an_ended_one_does_not() -> None:
    active = _fired(account(context=(context(ContextKind.TECHNICAL_ESCALATION, 2),)))
    ended = _fired(account(context=(context(ContextKind.CUSTOM_CONTRACT, 40, ended_days_ago=20),)))
    assert active[TriggerKey.COMPLEXITY].summary == "Complexity: technical escalation in progress."
    assert active[TriggerKey.COMPLEXITY].details["indicators"] == ["technical_escalation"]
    assert TriggerKey.COMPLEXITY not in ended


def test_crisis_and_data_quality_context_are_not_complexity() -> None:
    facts = account(context=(context(ContextKind.LAYOFFS, 2), context(ContextKind.MIGRATION, 2)))
    assert TriggerKey.COMPLEXITY not in _fired(facts)


def test_the_sentiment_signal_says_which_signs_fired() -> None:
    """Routing tells a frustrated customer (a person) from one who stopped replying (a review)."""
    angry = account(
        tickets=(ticket(3, escalation=True), ticket(10, escalation=True)),
        engagement=engaged(replies=0, sent=6),
    )
    signal = _fired(angry)[TriggerKey.SENTIMENT]
    assert signal.details["signs"] == ["escalation_requests", "low_reply_rate"]
    assert frustration([signal]) == ("2 escalation requests in 30 days",)
    quiet = _fired(account(engagement=engaged(replies=0, sent=6)))[TriggerKey.SENTIMENT]
    assert quiet.details["signs"] == ["low_reply_rate"] and frustration([quiet]) == ()
