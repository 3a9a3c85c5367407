"""The decision for one account on one day: fired triggers, each with a route and reasons."""

from __future__ import annotations

from datetime import date, timedelta

from scoring.config import TriggerConfig
from scoring.health import score_account
from scoring.routing import route_signal
from scoring.triggers import fire_triggers
from scoring.types import AccountFacts, BookFacts, Decision, HealthResult, Route, TriggerKey


def decide(
    facts: AccountFacts, health: HealthResult, *, book: BookFacts, as_of: date, config: TriggerConfig
) -> list[Decision]:
    previous = previous_score(facts, as_of=as_of, config=config)
    signals = fire_triggers(facts, health, as_of=as_of, config=config, previous_score=previous)
    sentiment_fired = any(signal.trigger is TriggerKey.SENTIMENT for signal in signals)
    return [
        route_signal(facts, signal, book=book, as_of=as_of, config=config, sentiment_fired=sentiment_fired)
        for signal in signals
    ]


HISTORY_TOLERANCE_DAYS = 3


def previous_score(facts: AccountFacts, *, as_of: date, config: TriggerConfig) -> int | None:
    """The score `health_drop.window_days` ago: stored history when there is a snapshot near
    that day, otherwise recomputed from the facts (which cover 120 days), so a new book can
    fire health_drop on its first cycle."""
    then = as_of - timedelta(days=config.triggers.health_drop.window_days)
    near = [
        (abs((day - then).days), score)
        for day, score in facts.score_history
        if abs((day - then).days) <= HISTORY_TOLERANCE_DAYS
    ]
    if near:
        return min(near)[1]
    if not any(day.day <= then for day in facts.usage):
        return None  # no data that far back: nothing to compare with
    return score_account(facts, as_of=then, config=config).score


# When several triggers fire for one account, the most cautious route wins; on a tie the
# trigger order below decides which one leads the card.
ROUTE_CAUTION = (Route.AUTO, Route.ASSIST, Route.HUMAN, Route.HOLD, Route.ESCALATE)
TRIGGER_PRIORITY = tuple(TriggerKey)


def primary_decision(decisions: list[Decision]) -> Decision | None:
    """The one decision that leads an account's card or automated touch today."""
    if not decisions:
        return None
    return max(
        decisions,
        key=lambda d: (ROUTE_CAUTION.index(d.route), -TRIGGER_PRIORITY.index(d.trigger)),
    )
