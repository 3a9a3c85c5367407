"""The decisions for one account on one day: the triggers that fire, each routed with reasons.

`decide` is a pure function of the account's facts, today's health, book-wide figures and the
trigger configuration; `decide_day` also returns the account exceptions that lapse today (the
cycle records them); `primary_decision` picks the one that leads the account's card.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from scoring.config import TriggerConfig
from scoring.exceptions import Lapse, apply_exceptions
from scoring.guardrails import apply_guardrails
from scoring.health import score_account
from scoring.routing import route_signal
from scoring.triggers import fire_triggers, frustration
from scoring.types import AccountFacts, BookFacts, Decision, HealthResult, Route, TriggerKey


def decide(
    facts: AccountFacts,
    health: HealthResult,
    *,
    book: BookFacts,
    as_of: date,
    config: TriggerConfig,
    previous: int | Literal["compute"] | None = "compute",
) -> list[Decision]:
    """One decision per fired trigger (none when nothing fires): routed, then guarded by what
    Tandem already did on the account and by its exceptions. `previous` is the score
    `health_drop.window_days` ago when the caller has it (the bulk cycle does); by default it
    is found from the facts."""
    return decide_day(facts, health, book=book, as_of=as_of, config=config, previous=previous).decisions


@dataclass(frozen=True, slots=True)
class DayDecisions:
    decisions: list[Decision]
    lapses: list[Lapse]  # the account's exceptions that lapse today


def decide_day(
    facts: AccountFacts,
    health: HealthResult,
    *,
    book: BookFacts,
    as_of: date,
    config: TriggerConfig,
    previous: int | Literal["compute"] | None = "compute",
) -> DayDecisions:
    """`decide`, with the exceptions that lapse today (expired, the score worse, another
    trigger acting): their triggers act as usual again."""
    if previous == "compute":
        previous = previous_score(facts, as_of=as_of, config=config)
    signals = fire_triggers(facts, health, as_of=as_of, config=config, previous_score=previous)
    # Sentiment makes automation step aside on every touchpoint of the account, not only its own;
    # a frustrated customer gets a person on every one of them.
    sentiment_fired = any(signal.trigger is TriggerKey.SENTIMENT for signal in signals)
    frustrated = frustration(signals)
    guarded = [
        apply_guardrails(
            route_signal(
                facts,
                signal,
                book=book,
                as_of=as_of,
                config=config,
                sentiment_fired=sentiment_fired,
                frustration=frustrated,
            ),
            facts,
            as_of=as_of,
            config=config,
        )
        for signal in signals
    ]
    decisions, lapses = apply_exceptions(
        guarded,
        facts,
        score=health.score if health.factors else None,  # a placeholder score says nothing
        as_of=as_of,
        rules=config.guardrails.account_exceptions,
    )
    return DayDecisions(decisions, lapses)


def previous_score(facts: AccountFacts, *, as_of: date, config: TriggerConfig) -> int | None:
    """The score `health_drop.window_days` ago: a stored one near that day when there is one,
    otherwise recomputed from the facts (storage loads 120 days), so a new book can fire
    health_drop on its first cycle. None without usage that far back."""
    rules = config.triggers.health_drop
    then = as_of - timedelta(days=rules.window_days)
    near = [
        (abs((day - then).days), score)
        for day, score in facts.score_history
        if abs((day - then).days) <= rules.history_tolerance_days
    ]
    if near:
        return min(near)[1]
    if not any(day.day <= then for day in facts.usage):
        return None  # nothing to compare with
    earlier = score_account(facts, as_of=then, config=config)
    return earlier.score if earlier.factors else None


# When several triggers fire for one account, the most cautious route wins; on a tie the
# trigger order in `TriggerKey` decides which one leads the card. A hold (the circuit breaker
# on one trigger) pauses automation, so it outranks a touch that would be sent or approved, but
# never hides a card for a person (a crisis, a complexity indicator) on another trigger.
ROUTE_CAUTION = (Route.AUTO, Route.ASSIST, Route.HOLD, Route.HUMAN, Route.ESCALATE)
TRIGGER_PRIORITY = tuple(TriggerKey)


def primary_decision(decisions: list[Decision]) -> Decision | None:
    """The one decision that leads an account's card or automated touch today. A decision a
    guardrail suppressed (nothing new) leads only when every decision was suppressed."""
    if not decisions:
        return None
    return max(
        decisions,
        key=lambda d: (not d.suppressed, ROUTE_CAUTION.index(d.route), -TRIGGER_PRIORITY.index(d.trigger)),
    )
