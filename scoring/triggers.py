"""Which triggers fire for an account today, before routing: one `Signal` per trigger.

v1 fires health_low, health_drop, sentiment and complexity. A summary is one sentence a CSM
can read; `details` holds the figures (score, band, evidence, indicators).
"""

from __future__ import annotations

from datetime import date, timedelta

from scoring.config import SentimentTrigger, TriggerConfig
from scoring.context import complexity_indicators, label
from scoring.explain import weakest_factor
from scoring.factors import plural
from scoring.features import outreach_counts, window_start
from scoring.types import (
    AccountFacts,
    ContextKind,
    EngagementKind,
    HealthResult,
    Signal,
    Ticket,
    TriggerKey,
)


def _why(health: HealthResult) -> str:
    weakest = weakest_factor(health.factors)
    if weakest is None:
        return "no factor has data"
    return f"{weakest.name} pulls it down most — {weakest.detail}"


def _frustrated(ticket: Ticket, phrases: tuple[str, ...]) -> bool:
    text = f"{ticket.subject}\n{ticket.body}".lower()
    return any(phrase in text for phrase in phrases)


def frustration_counts(facts: AccountFacts, as_of: date, rules: SentimentTrigger) -> tuple[int, int]:
    """(tickets in frustrated language in the window, in the window before it)."""
    if not rules.frustration_phrases:
        return 0, 0
    since = window_start(as_of, rules.window_days)
    before = since - timedelta(days=rules.window_days)
    recent = earlier = 0
    for ticket in facts.tickets:
        opened = ticket.opened_at.date()
        if before <= opened <= as_of and _frustrated(ticket, rules.frustration_phrases):
            if opened >= since:
                recent += 1
            else:
                earlier += 1
    return recent, earlier


def sentiment_evidence(facts: AccountFacts, as_of: date, config: TriggerConfig) -> list[str]:
    """The seeds' signs of deteriorating sentiment, in words; empty when there are none."""
    rules = config.triggers.sentiment
    since = window_start(as_of, rules.window_days)
    evidence: list[str] = []
    escalations = sum(
        1 for t in facts.tickets if t.is_escalation_request and since <= t.opened_at.date() <= as_of
    )
    if escalations >= rules.escalation_requests:
        evidence.append(f"{plural(escalations, 'escalation request')} in {rules.window_days} days")
    complained = any(
        e.kind is EngagementKind.PUBLIC_COMPLAINT and since <= e.at.date() <= as_of for e in facts.engagement
    ) or any(
        e.kind is ContextKind.PUBLIC_COMPLAINT and since <= e.starts_at.date() <= as_of for e in facts.context
    )
    if complained:
        evidence.append(f"a public complaint in the last {rules.window_days} days")
    sent, replied = outreach_counts(facts, as_of, rules.reply_window_days)
    if sent >= rules.min_outreach and replied / sent < rules.min_reply_rate:
        evidence.append(f"replies to {replied} of {sent} automated emails ({replied / sent:.0%})")
    recent, earlier = frustration_counts(facts, as_of, rules)
    if recent >= rules.frustrated_tickets and recent > earlier:
        evidence.append(
            f"{plural(recent, 'ticket')} in frustrated language in {rules.window_days} days (up from {earlier})"
        )
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
    scored = bool(health.factors)  # a placeholder score for an account without data fires nothing
    threshold = config.triggers.health_low.threshold
    if scored and health.score < threshold:
        signals.append(
            Signal(
                facts.account_id,
                TriggerKey.HEALTH_LOW,
                f"Health {health.score} ({health.band.value}) is below {threshold}: {_why(health)}.",
                {**details, "threshold": threshold},
            )
        )
    drop = config.triggers.health_drop
    if scored and previous_score and health.score <= previous_score * (1 - drop.drop_fraction):
        fall = 1 - health.score / previous_score
        signals.append(
            Signal(
                facts.account_id,
                TriggerKey.HEALTH_DROP,
                f"Health fell {fall:.0%} in {drop.window_days} days ({previous_score} → {health.score}): {_why(health)}.",
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
        names = " and ".join(label(kind) for kind in indicators)
        at_once = " at once" if len(indicators) > 1 else ""
        signals.append(
            Signal(
                facts.account_id,
                TriggerKey.COMPLEXITY,
                f"Complexity: {names} in progress{at_once}.",
                {**details, "indicators": [kind.value for kind in indicators]},
            )
        )
    return signals
