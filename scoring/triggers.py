"""Which triggers fire for an account today (before routing)."""

from __future__ import annotations

from datetime import date, timedelta

from scoring.config import TriggerConfig
from scoring.factors import reply_rate
from scoring.types import (
    COMPLEXITY_CONTEXT,
    AccountFacts,
    ContextEvent,
    ContextKind,
    EngagementKind,
    HealthResult,
    Signal,
    TriggerKey,
)


def active_context(
    facts: AccountFacts, as_of: date, kinds: frozenset[ContextKind], lookback_days: int = 0
) -> list[ContextEvent]:
    """Context events of these kinds active on `as_of` (or ended within `lookback_days`)."""
    horizon = as_of - timedelta(days=lookback_days)
    return [
        event
        for event in facts.context
        if event.kind in kinds
        and event.starts_at.date() <= as_of
        and (event.ends_at is None or event.ends_at.date() >= horizon)
    ]


def complexity_indicators(facts: AccountFacts, as_of: date) -> list[ContextKind]:
    return sorted({event.kind for event in active_context(facts, as_of, COMPLEXITY_CONTEXT)})


def sentiment_evidence(facts: AccountFacts, as_of: date, config: TriggerConfig) -> list[str]:
    rules = config.triggers.sentiment
    since = as_of - timedelta(days=rules.window_days - 1)
    evidence: list[str] = []
    escalations = [
        t for t in facts.tickets if t.is_escalation_request and since <= t.opened_at.date() <= as_of
    ]
    if len(escalations) >= rules.escalation_requests:
        evidence.append(f"{len(escalations)} escalation requests in {rules.window_days} days")
    complaints = [
        e
        for e in facts.engagement
        if e.kind is EngagementKind.PUBLIC_COMPLAINT and since <= e.at.date() <= as_of
    ]
    complaints_ctx = active_context(
        facts, as_of, frozenset({ContextKind.PUBLIC_COMPLAINT}), rules.window_days
    )
    if complaints or complaints_ctx:
        evidence.append("a public complaint")
    sent, replied = reply_rate(facts, as_of, rules.reply_window_days)
    if sent >= rules.min_outreach and replied / sent < rules.min_reply_rate:
        evidence.append(f"replies to automated outreach at {replied / sent:.0%} ({replied} of {sent})")
    return evidence


def fire_triggers(
    facts: AccountFacts,
    health: HealthResult,
    *,
    as_of: date,
    config: TriggerConfig,
    previous_score: int | None = None,
) -> list[Signal]:
    """`previous_score` is the score `triggers.health_drop.window_days` ago, when known."""
    signals: list[Signal] = []
    details: dict[str, object] = {
        "score": health.score,
        "band": health.band.value,
        "confidence": health.confidence,
    }
    if health.score < config.triggers.health_low.threshold:
        signals.append(
            Signal(facts.account_id, TriggerKey.HEALTH_LOW, f"Health {health.explanation}", details)
        )
    drop = config.triggers.health_drop
    if previous_score and health.score <= previous_score * (1 - drop.drop_fraction):
        fall = 1 - health.score / previous_score
        signals.append(
            Signal(
                facts.account_id,
                TriggerKey.HEALTH_DROP,
                f"Health fell {fall:.0%} in {drop.window_days} days ({previous_score} → {health.score}). {health.explanation}",
                {**details, "previous_score": previous_score, "drop": round(fall, 3)},
            )
        )
    evidence = sentiment_evidence(facts, as_of, config)
    if evidence:
        signals.append(
            Signal(
                facts.account_id,
                TriggerKey.SENTIMENT,
                "Sentiment is deteriorating: " + "; ".join(evidence) + ".",
                {**details, "evidence": evidence},
            )
        )
    indicators = complexity_indicators(facts, as_of)
    if indicators:
        names = ", ".join(kind.value.replace("_", " ") for kind in indicators)
        signals.append(
            Signal(
                facts.account_id,
                TriggerKey.COMPLEXITY,
                f"Complexity indicator{'s' if len(indicators) > 1 else ''} active: {names}.",
                {**details, "indicators": [kind.value for kind in indicators]},
            )
        )
    return signals
