"""Audit cards below the line: which near misses of the threshold triggers a person sees this week.

Labels exist only where a trigger fired, so dismissals can never show what a threshold misses.
Each week a random share (`audit.rate`, epsilon) of the accounts just short of a threshold
trigger's line goes to its CSM as an audit card; the answers, weighted by 1/propensity, estimate
recall below the line and are the only evidence that may loosen a threshold.

The threshold triggers and their near-miss bands (`audit.bands`, in each trigger's units):
- health_low fires when the score is below its threshold: a near miss scores
  threshold .. threshold + band - 1 (60..64 by default);
- health_drop fires when the score fell by drop_fraction or more against the score
  window_days ago: a near miss fell by drop_fraction - band or more, not enough to fire;
- expansion_ready fires when readiness is above its threshold (on a healthy enough account):
  a near miss has readiness threshold - band + 1 .. threshold, with the health it needs;
- renewal_risk fires when a renewal in its window has a churn risk of high_risk or more: a
  near miss in the window has a risk of high_risk - band up to high_risk.
The others are not threshold lines: a reminder, a step past its due date, signs, indicators.

The draw is deterministic: each near miss (account, trigger) gets a number u in [0, 1) from
random.Random seeded with the ISO week, the account and the trigger, and is drawn when
u < rate. A CSM gets at most one audit card a week: among their drawn near misses, the one with
the smallest u. Its propensity is the real chance each of the CSM's n near misses had of
becoming that card: 1 - (1 - rate)^n that any is drawn, shared evenly among the n, so
(1 - (1 - rate)^n) / n; exactly `rate` when n = 1, less when the one-a-week cap binds.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date

from scoring.config import TriggerConfig
from scoring.context import crisis_events
from scoring.types import AccountFacts, HealthResult, TriggerKey

TOLERANCE = 1e-9  # float slack on the band's far edge (0.2 - 0.05 is not exactly 0.15)

# Why a near miss may not become an audit card (the audit asks about accounts nobody is on).
VETOED = "vetoed"  # the CSM's "always human" veto
TAKEN_OVER = "taken_over"  # a person handles the account (Take over)
ON_HOLD = "on_hold"  # a crisis pauses automation on the account
FLAGGED_TODAY = "flagged_today"  # a trigger fired on it today (carded, touched or held)
PENDING_CARD = "pending_card"  # a card about it still waits for a decision
COOLDOWN = "cooldown"  # this trigger acted on it within its cooldown


@dataclass(frozen=True, slots=True)
class NearMiss:
    """An account just short of one threshold trigger's line on one day."""

    account_id: str
    owner: str
    trigger: TriggerKey
    value: float  # in the trigger's units: score, share fallen, readiness, churn probability
    threshold: float  # the line, in the same units
    score: int
    as_of: date
    summary: str  # "Health 63: health_low fires below 60."
    details: dict[str, object] = field(default_factory=dict)

    @property
    def margin(self) -> float:
        """How far short of the line, in the trigger's units (0 at the line itself)."""
        return round(abs(self.value - self.threshold), 6)


@dataclass(frozen=True, slots=True)
class AuditPick:
    near_miss: NearMiss
    propensity: float  # the chance this near miss had of becoming the week's audit card
    pool: int  # the CSM's eligible near misses this week (n)
    draw: float  # its u; drawn because u < rate
    week: str  # "2026-W10"


def audit_week(day: date) -> str:
    """The ISO week of a cycle day, e.g. "2026-W10" (audit weeks are dated by cycle days)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def is_audit_day(day: date, config: TriggerConfig) -> bool:
    return config.audit.rate > 0 and day.isoweekday() == config.audit.weekday


def near_misses(
    health: HealthResult,
    *,
    owner: str,
    renewal_date: date | None,
    previous_score: int | None,
    config: TriggerConfig,
    segment: str | None = None,
) -> list[NearMiss]:
    """The threshold triggers this account is just short of today (none fired on it by
    these values). An account without scored factors has no line to be near."""
    if not health.factors:
        return []
    found = [
        miss
        for miss in (
            _health_low(health, config, segment),
            _health_drop(health, previous_score, config, segment),
            _expansion_ready(health, config, segment),
            _renewal_risk(health, renewal_date, config, segment),
        )
        if miss is not None
    ]
    return [NearMiss(health.account_id, owner, *miss) for miss in found]


_Miss = tuple[TriggerKey, float, float, int, date, str, dict[str, object]]


def _health_low(health: HealthResult, config: TriggerConfig, segment: str | None) -> _Miss | None:
    band = config.audit.bands.health_low
    line = int(config.triggers.line(TriggerKey.HEALTH_LOW, segment))
    if band <= 0 or not line <= health.score < line + band:
        return None
    words = f"Health {health.score}: health_low fires below {line}."
    return TriggerKey.HEALTH_LOW, health.score, line, health.score, health.as_of, words, {}


def _health_drop(
    health: HealthResult, previous: int | None, config: TriggerConfig, segment: str | None
) -> _Miss | None:
    band = config.audit.bands.health_drop
    rules = config.triggers.health_drop
    line = config.triggers.line(TriggerKey.HEALTH_DROP, segment)
    if band <= 0 or not previous:
        return None
    fires = health.score <= previous * (1 - line)  # as scoring.triggers decides it
    lower = max(0.0, line - band)
    if fires or health.score > previous * (1 - lower) + TOLERANCE:
        return None
    fall = round(1 - health.score / previous, 4)
    words = (
        f"Health fell {fall:.0%} in {rules.window_days} days ({previous} → {health.score}): "
        f"health_drop fires at a {line:.0%} fall."
    )
    facts: dict[str, object] = {"previous_score": previous}
    return TriggerKey.HEALTH_DROP, fall, line, health.score, health.as_of, words, facts


def _expansion_ready(health: HealthResult, config: TriggerConfig, segment: str | None) -> _Miss | None:
    band = config.audit.bands.expansion_ready
    rules = config.triggers.expansion_ready
    line = int(config.triggers.line(TriggerKey.EXPANSION_READY, segment))
    readiness = health.expansion_readiness
    if band <= 0 or readiness is None or health.score < rules.min_health:
        return None
    if not line - band < readiness <= line:
        return None
    words = f"Expansion readiness {readiness}/100: expansion_ready fires above {line}."
    return TriggerKey.EXPANSION_READY, readiness, line, health.score, health.as_of, words, {}


def _renewal_risk(
    health: HealthResult, renewal: date | None, config: TriggerConfig, segment: str | None
) -> _Miss | None:
    band = config.audit.bands.renewal_risk
    rules = config.triggers.renewal_risk
    high_risk = config.triggers.line(TriggerKey.RENEWAL_RISK, segment)
    risk = health.renewal_risk
    if band <= 0 or renewal is None or risk is None:
        return None
    days = (renewal - health.as_of).days
    if not rules.nearest_days <= days <= rules.furthest_days:
        return None
    if not high_risk - band - TOLERANCE <= risk < high_risk:
        return None
    words = (
        f"Renewal in {days} days ({renewal.isoformat()}) with a {risk:.0%} chance of churn: "
        f"renewal_risk fires at {high_risk:.0%}."
    )
    facts: dict[str, object] = {"renewal_date": renewal.isoformat(), "days_to_renewal": days}
    return TriggerKey.RENEWAL_RISK, round(risk, 4), high_risk, health.score, health.as_of, words, facts


def exclusion(
    miss: NearMiss,
    facts: AccountFacts,
    *,
    config: TriggerConfig,
    flagged_today: bool,
    pending_card: bool,
) -> str | None:
    """Why this near miss may not become an audit card (one of the codes above), or None."""
    if facts.always_human:
        return VETOED
    if facts.human_handled or facts.automation_paused:
        return TAKEN_OVER
    if crisis_events(facts, miss.as_of, config.routing.crisis_lookback_days):
        return ON_HOLD
    if flagged_today:
        return FLAGGED_TODAY
    if pending_card:
        return PENDING_CARD
    last = facts.history.last_acted_on(miss.trigger)
    if last is not None and (miss.as_of - last).days < config.guardrails.cooldown_for(miss.trigger):
        return COOLDOWN
    return None


def draw(week: str, account_id: str, trigger: TriggerKey) -> float:
    """The near miss's number for the week: the same on every run, independent of the others."""
    return random.Random(f"{week}|{account_id}|{trigger.value}").random()


def propensity(rate: float, pool: int) -> float:
    """The chance one of a CSM's `pool` near misses becomes their audit card this week."""
    if pool < 1 or rate <= 0:
        return 0.0
    if pool == 1:
        return rate
    return (1 - (1 - rate) ** pool) / pool


def select_audits(
    eligible: Iterable[NearMiss], *, week: str, rate: float, audited: Collection[str] = ()
) -> list[AuditPick]:
    """At most one audit card per CSM for the week, from their eligible near misses; `audited`
    holds the CSMs who already have this week's card. Ordered by CSM."""
    pools: dict[str, dict[tuple[str, TriggerKey], NearMiss]] = defaultdict(dict)
    for miss in eligible:
        if miss.owner not in audited:
            pools[miss.owner].setdefault((miss.account_id, miss.trigger), miss)
    picks: list[AuditPick] = []
    for owner in sorted(pools):
        pool = pools[owner]
        u, _, chosen = min((draw(week, a, t), (a, t.value), miss) for (a, t), miss in pool.items())
        if u < rate:
            picks.append(AuditPick(chosen, propensity(rate, len(pool)), len(pool), u, week))
    return picks
