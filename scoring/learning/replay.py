"""Replay a threshold proposal over stored history before anything changes (pure).

For one trigger × segment, each account's stored daily values (score, expansion readiness,
renewal risk) are walked day by day under the parent configuration and under the proposal's:
the trigger fires where the value crosses the line, and a card follows when the trigger's
cooldown since the last card has passed, as the daily cycle decides it. The replay reports
the would-be cards per CSM per week under both, the past cards (as stored) the proposal would
have removed with how people had decided them, and the churned accounts it would have missed:
those whose every stored card in the window would have been removed.

A firing is a card unless its stored signal that day was routed `auto` (an automated touch,
counted apart). A firing with no stored signal (a day the parent version kept quiet by its
cooldown or its line) has no known route and is counted as a card, the cautious guess.

What the replay does not re-run: the other guardrails (holds, exceptions, the card budget, the
circuit breaker) and routing; they act the same under both versions, so the difference between
the two counts is the proposal's own effect.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from scoring.config import TriggerConfig
from scoring.learning.thresholds import fires
from scoring.types import TriggerKey


@dataclass(frozen=True, slots=True)
class DayValue:
    day: date
    score: int
    readiness: int | None = None
    risk: float | None = None


@dataclass(frozen=True, slots=True)
class ReplayAccount:
    account_id: str
    name: str
    segment: str
    owner: str
    renewal_date: date | None
    days: tuple[DayValue, ...]  # in day order; may start before the window (health_drop looks back)


@dataclass(frozen=True, slots=True)
class PastCard:
    card_id: int
    account_id: str
    trigger: str
    day: date  # the cycle day it came from
    decision: str  # "approved", "dismissed: false_positive", ..., or "undecided"


@dataclass(frozen=True, slots=True)
class Churned:
    account_id: str
    name: str
    day: date


@dataclass(slots=True)
class ReplayResult:
    trigger: str
    segment: str
    since: date
    as_of: date
    csms: int
    weeks: float
    cards_before: int = 0  # would-be cards under the parent version
    cards_after: int = 0  # ... and under the proposal
    touches_before: int = 0  # would-be automated touches (stored route `auto`) under the parent ...
    touches_after: int = 0  # ... and under the proposal
    unknown_route: int = 0  # firings under the proposal with no stored signal: counted as cards
    stored_cards: int = 0  # the cards actually posted for this trigger × segment in the window
    removed: list[PastCard] = field(default_factory=list)  # stored cards the proposal removes
    removed_by_decision: dict[str, int] = field(default_factory=dict)
    added_days: int = 0  # account-days that would fire only under the proposal (loosening)
    missed_churn: list[Churned] = field(default_factory=list)

    @property
    def per_csm_week_before(self) -> float:
        return round(self.cards_before / max(1, self.csms) / max(self.weeks, 1e-9), 2)

    @property
    def per_csm_week_after(self) -> float:
        return round(self.cards_after / max(1, self.csms) / max(self.weeks, 1e-9), 2)

    def summary(self) -> dict[str, object]:
        """JSON-safe, for storage beside the proposal and the Details view."""
        return {
            "trigger": self.trigger,
            "segment": self.segment,
            "since": self.since.isoformat(),
            "as_of": self.as_of.isoformat(),
            "csms": self.csms,
            "weeks": round(self.weeks, 1),
            "cards_before": self.cards_before,
            "cards_after": self.cards_after,
            "touches_before": self.touches_before,
            "touches_after": self.touches_after,
            "unknown_route": self.unknown_route,
            "stored_cards": self.stored_cards,
            "per_csm_week_before": self.per_csm_week_before,
            "per_csm_week_after": self.per_csm_week_after,
            "removed": [
                {
                    "card_id": c.card_id,
                    "account_id": c.account_id,
                    "day": c.day.isoformat(),
                    "decision": c.decision,
                }
                for c in self.removed
            ],
            "removed_by_decision": dict(sorted(self.removed_by_decision.items())),
            "added_days": self.added_days,
            "missed_churn": [
                {"account_id": c.account_id, "name": c.name, "day": c.day.isoformat()}
                for c in self.missed_churn
            ],
        }


def value_on(
    trigger: TriggerKey, account: ReplayAccount, at: int, by_day: dict[date, int], config: TriggerConfig
) -> float | None:
    """The trigger's measured value on the account's `at`-th day, in its units (None: no value)."""
    today = account.days[at]
    rules = config.triggers
    if trigger is TriggerKey.HEALTH_LOW:
        return today.score
    if trigger is TriggerKey.HEALTH_DROP:
        drop = rules.health_drop
        previous = _score_near(
            by_day, today.day - timedelta(days=drop.window_days), drop.history_tolerance_days
        )
        return None if not previous else 1 - today.score / previous
    if trigger is TriggerKey.EXPANSION_READY:
        ready = today.readiness
        return None if ready is None or today.score < rules.expansion_ready.min_health else float(ready)
    if trigger is TriggerKey.RENEWAL_RISK:
        if today.risk is None or account.renewal_date is None:
            return None
        days = (account.renewal_date - today.day).days
        inside = rules.renewal_risk.nearest_days <= days <= rules.renewal_risk.furthest_days
        return today.risk if inside else None
    raise ValueError(f"{trigger.value} is not a threshold trigger: it cannot be replayed by value")


def _score_near(by_day: dict[date, int], day: date, tolerance: int) -> int | None:
    for offset in range(tolerance + 1):
        for candidate in (day - timedelta(days=offset), day + timedelta(days=offset)):
            if candidate in by_day:
                return by_day[candidate]
    return None


def replay_threshold(
    accounts: Iterable[ReplayAccount],
    past_cards: Sequence[PastCard],
    churned: Sequence[Churned],
    *,
    trigger: TriggerKey,
    segment: str,
    parent: TriggerConfig,
    proposal: TriggerConfig,
    since: date,
    as_of: date,
    csms: int,
    routes: Mapping[tuple[str, date], str] | None = None,
) -> ReplayResult:
    """The proposal's effect on `trigger` for `segment` over `since`..`as_of`; `routes` holds the
    route of each stored signal of `trigger`, by (account, cycle day)."""
    routes = routes or {}
    result = ReplayResult(trigger.value, segment, since, as_of, csms, ((as_of - since).days + 1) / 7)
    old_line, new_line = parent.triggers.line(trigger, segment), proposal.triggers.line(trigger, segment)
    cooldown = proposal.guardrails.cooldown_for(trigger)
    fired_days: dict[str, dict[date, tuple[bool, bool]]] = {}
    for account in accounts:
        if account.segment != segment:
            continue
        by_day = {d.day: d.score for d in account.days}
        verdicts: dict[date, tuple[bool, bool]] = {}
        last_old: date | None = None
        last_new: date | None = None
        for at, today in enumerate(account.days):
            if not since <= today.day <= as_of:
                continue
            value = value_on(trigger, account, at, by_day, parent)
            old = value is not None and fires(trigger, value, old_line)
            new = value is not None and fires(trigger, value, new_line)
            verdicts[today.day] = (old, new)
            result.added_days += new and not old
            route = routes.get((account.account_id, today.day))
            if old and (last_old is None or (today.day - last_old).days >= cooldown):
                result.touches_before += route == "auto"
                result.cards_before += route != "auto"
                last_old = today.day
            if new and (last_new is None or (today.day - last_new).days >= cooldown):
                result.touches_after += route == "auto"
                result.cards_after += route != "auto"
                result.unknown_route += route is None
                last_new = today.day
        fired_days[account.account_id] = verdicts
    kept_accounts: set[str] = set()
    cards_by_account: dict[str, list[PastCard]] = defaultdict(list)
    for card in past_cards:
        if not since <= card.day <= as_of:
            continue
        cards_by_account[card.account_id].append(card)
        mine = card.trigger == trigger.value and card.account_id in fired_days
        if mine:
            result.stored_cards += 1
            _, new = fired_days[card.account_id].get(card.day, (True, True))
            if not new:
                result.removed.append(card)
                continue
        kept_accounts.add(card.account_id)
    result.removed_by_decision = dict(Counter(card.decision for card in result.removed))
    removed_accounts = {card.account_id for card in result.removed}
    result.missed_churn = sorted(
        (c for c in churned if c.account_id in removed_accounts and c.account_id not in kept_accounts),
        key=lambda c: (c.day, c.account_id),
    )
    return result
