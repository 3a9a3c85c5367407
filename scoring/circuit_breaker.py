"""The circuit breaker: one trigger firing on an implausible share of the book in one run.

When usage drops for every account at once, the cause is a broken feed, not a churn wave.
`check` finds the triggers over the configured share; `hold_tripped` puts their decisions on
hold with a sentence that says why (ops is alerted by the cycle). Pure: counts in, trips out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from scoring.config import TriggerConfig
from scoring.types import Decision, Reason, Route, TriggerKey


@dataclass(frozen=True, slots=True)
class Trip:
    trigger: TriggerKey
    fired: int  # accounts the trigger fired on in the run
    scored: int  # accounts scored in the run
    limit: float  # the configured share

    @property
    def share(self) -> float:
        return self.fired / self.scored if self.scored else 0.0

    def sentence(self) -> str:
        return (
            f"On hold: {self.trigger.value} fired on {self.share:.0%} of accounts in this run "
            f"({self.fired:,} of {self.scored:,}; the limit is {self.limit:.0%}). That looks like a "
            "data problem, not a churn wave; ops has been alerted."
        )


def check(fired: Mapping[TriggerKey, int], *, scored: int, config: TriggerConfig) -> list[Trip]:
    """The trips of one run, from how many accounts each trigger fired on."""
    rules = config.guardrails.circuit_breaker
    trips = []
    for trigger, count in sorted(fired.items()):
        if trigger in rules.exempt or count < rules.min_accounts or scored <= 0:
            continue
        if count / scored > rules.max_share:
            trips.append(Trip(trigger, count, scored, rules.max_share))
    return trips


def hold_tripped(decision: Decision, trips: Mapping[TriggerKey, Trip]) -> Decision:
    """The decision on hold when its trigger tripped; unchanged otherwise. The route it would
    have had stays readable in the reasons that follow."""
    trip = trips.get(decision.trigger)
    if trip is None:
        return decision
    reason = Reason("circuit_breaker", trip.sentence())
    signal = replace(decision.signal, details={**decision.signal.details, "held_route": decision.route.value})
    return replace(
        decision, signal=signal, route=Route.HOLD, reasons=(reason, *decision.reasons), notify_manager=False
    )
