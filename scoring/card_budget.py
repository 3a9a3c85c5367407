"""The per-CSM daily card budget: the most important cards go to the DM, the rest to the digest.

A CSM who gets forty cards in a morning reads none of them. Each day a CSM gets at most
`per_csm_per_day` new cards in their DM (fewer when some were already posted today);
escalations are exempt. The others wait in the next digest, most important first. Pure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scoring.config import TriggerConfig
from scoring.types import Route, TriggerKey

ROUTE_URGENCY = (Route.ESCALATE, Route.HUMAN, Route.ASSIST)
# Which card matters more when a CSM's budget is tight (renewals at risk are prioritised).
TRIGGER_URGENCY = (
    TriggerKey.CUSTOMER_WAITING,
    TriggerKey.COMPLEXITY,
    TriggerKey.MANUAL_FLAG,
    TriggerKey.RENEWAL_RISK,
    TriggerKey.SENTIMENT,
    TriggerKey.HEALTH_DROP,
    TriggerKey.HEALTH_LOW,
    TriggerKey.ONBOARDING_STALLED,
    TriggerKey.EXPANSION_READY,
    TriggerKey.RENEWAL_REMINDER,
)


@dataclass(frozen=True, slots=True)
class CardCandidate:
    key: str  # the caller's id for it (an account id)
    owner: str  # the CSM's Slack id
    route: Route
    trigger: TriggerKey
    arr: float


def urgency(candidate: CardCandidate) -> tuple[int, int, float]:
    route = ROUTE_URGENCY.index(candidate.route) if candidate.route in ROUTE_URGENCY else len(ROUTE_URGENCY)
    trigger = TRIGGER_URGENCY.index(candidate.trigger)
    return route, trigger, -candidate.arr


def allocate(
    candidates: Sequence[CardCandidate], *, posted_today: Mapping[str, int], config: TriggerConfig
) -> tuple[set[str], set[str]]:
    """(keys whose card goes to the DM now, keys whose card waits in the digest)."""
    budget = config.guardrails.card_budget
    by_owner: dict[str, list[CardCandidate]] = defaultdict(list)
    for candidate in candidates:
        by_owner[candidate.owner].append(candidate)
    now: set[str] = set()
    later: set[str] = set()
    for owner, owned in by_owner.items():
        left = max(0, budget.per_csm_per_day - posted_today.get(owner, 0))
        for candidate in sorted(owned, key=urgency):
            if candidate.route in budget.exempt_routes or candidate.trigger in budget.exempt_triggers:
                now.add(candidate.key)
            elif left > 0:
                now.add(candidate.key)
                left -= 1
            else:
                later.add(candidate.key)
    return now, later
