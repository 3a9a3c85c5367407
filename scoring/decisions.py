"""The decision for one account on one day: fired triggers, each with a route and reasons."""

from __future__ import annotations

from datetime import date

from scoring.config import TriggerConfig
from scoring.routing import route_signal
from scoring.triggers import fire_triggers
from scoring.types import AccountFacts, BookFacts, Decision, HealthResult, TriggerKey


def decide(
    facts: AccountFacts, health: HealthResult, *, book: BookFacts, as_of: date, config: TriggerConfig
) -> list[Decision]:
    signals = fire_triggers(facts, health, as_of=as_of, config=config)
    sentiment_fired = any(signal.trigger is TriggerKey.SENTIMENT for signal in signals)
    return [
        route_signal(facts, signal, book=book, as_of=as_of, config=config, sentiment_fired=sentiment_fired)
        for signal in signals
    ]
