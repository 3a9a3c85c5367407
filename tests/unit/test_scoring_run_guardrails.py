"""Run-wide guardrails: the circuit breaker and the per-CSM card budget (pure)."""

from __future__ import annotations

from collections import Counter

from scoring.card_budget import CardCandidate, allocate
from scoring.circuit_breaker import check, hold_tripped
from scoring.config import load_default_config
from scoring.types import Decision, Reason, Route, TriggerKey
from tests.unit.scoring_factories import signal

CONFIG = load_default_config()


def test_a_trigger_on_an_implausible_share_of_the_book_trips_the_breaker() -> None:
    trips = check(
        Counter({TriggerKey.HEALTH_DROP: 310, TriggerKey.HEALTH_LOW: 150}), scored=1000, config=CONFIG
    )
    assert [trip.trigger for trip in trips] == [TriggerKey.HEALTH_DROP]
    assert trips[0].share == 0.31
    assert (
        "health_drop fired on 31% of accounts in this run (310 of 1,000; the limit is 30%)"
        in trips[0].sentence()
    )


def test_exactly_the_limit_does_not_trip() -> None:
    assert check({TriggerKey.HEALTH_DROP: 300}, scored=1000, config=CONFIG) == []


def test_a_small_book_cannot_trip_it_by_chance() -> None:
    assert check({TriggerKey.HEALTH_DROP: 19}, scored=20, config=CONFIG) == []
    assert check({TriggerKey.HEALTH_DROP: 20}, scored=20, config=CONFIG) != []


def test_manual_flags_never_trip_it() -> None:
    assert check({TriggerKey.MANUAL_FLAG: 900}, scored=1000, config=CONFIG) == []


def test_a_tripped_trigger_is_held_and_keeps_the_route_it_would_have_had() -> None:
    (trip,) = check({TriggerKey.HEALTH_DROP: 500}, scored=1000, config=CONFIG)
    decision = Decision(
        signal(TriggerKey.HEALTH_DROP),
        Route.ASSIST,
        (Reason("matrix", "Human with automation assist."),),
        notify_manager=True,
    )
    held = hold_tripped(decision, {trip.trigger: trip})
    assert held.route is Route.HOLD and not held.notify_manager
    assert [r.code for r in held.reasons] == ["circuit_breaker", "matrix"]
    assert held.signal.details["held_route"] == "assist"
    other = Decision(signal(TriggerKey.SENTIMENT), Route.ASSIST, ())
    assert hold_tripped(other, {trip.trigger: trip}) is other


def _candidate(
    key: str,
    owner: str = "U1",
    route: Route = Route.ASSIST,
    trigger: TriggerKey = TriggerKey.HEALTH_LOW,
    arr: float = 1_000.0,
) -> CardCandidate:
    return CardCandidate(key, owner, route, trigger, arr)


def test_each_csm_gets_at_most_the_budget_in_their_dm() -> None:
    candidates = [_candidate(f"A{i}", arr=float(i)) for i in range(15)] + [_candidate("B1", owner="U2")]
    now, later = allocate(candidates, posted_today={}, config=CONFIG)
    mine = {key for key in now if key.startswith("A")}
    assert len(mine) == 10 and len(later) == 5 and "B1" in now
    # Among equals, the larger ARR comes first.
    assert mine == {f"A{i}" for i in range(5, 15)}


def test_cards_posted_earlier_today_use_up_the_budget() -> None:
    now, later = allocate([_candidate(f"A{i}") for i in range(5)], posted_today={"U1": 8}, config=CONFIG)
    assert len(now) == 2 and len(later) == 3


def test_escalations_are_exempt_and_the_most_urgent_cards_go_first() -> None:
    candidates = [
        _candidate("reminder", trigger=TriggerKey.RENEWAL_REMINDER, arr=1e6),
        _candidate("risk", trigger=TriggerKey.RENEWAL_RISK),
        _candidate("human", route=Route.HUMAN),
        _candidate("escalate", route=Route.ESCALATE, trigger=TriggerKey.COMPLEXITY),
    ]
    config = CONFIG.model_copy(
        update={
            "guardrails": CONFIG.guardrails.model_copy(
                update={
                    "card_budget": CONFIG.guardrails.card_budget.model_copy(update={"per_csm_per_day": 2})
                }
            )
        }
    )
    now, later = allocate(candidates, posted_today={"U1": 0}, config=config)
    assert now == {"escalate", "human", "risk"} and later == {"reminder"}


def test_the_configuration_refuses_contradictory_windows_and_keeps_every_cooldown() -> None:
    import pytest
    from pydantic import ValidationError

    from scoring.config import TriggerConfig

    body = CONFIG.model_dump(mode="json")
    body["triggers"]["renewal_risk"] = {"nearest_days": 61, "furthest_days": 60, "high_risk": 0.3}
    with pytest.raises(ValidationError, match="nearest_days must not be above furthest_days"):
        TriggerConfig.model_validate(body)
    body = CONFIG.model_dump(mode="json")
    body["guardrails"]["cooldown_days"] = {"sentiment": 3}
    partial = TriggerConfig.model_validate(body)
    assert partial.guardrails.cooldown_for(TriggerKey.SENTIMENT) == 3
    assert partial.guardrails.cooldown_for(TriggerKey.HEALTH_LOW) == 14  # unnamed triggers keep the default
    body["guardrails"]["cooldown_days"] = {"no_such_trigger": 3}
    with pytest.raises(ValidationError):
        TriggerConfig.model_validate(body)
