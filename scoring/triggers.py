"""Which triggers fire for an account today, before routing: one `Signal` per trigger.

Every trigger key but manual_flag (a person raises that one, in Slack) fires here. A summary
is one sentence a CSM can read; `details` holds the figures (score, band, evidence, renewal
date and risk, the overdue step, indicators) for cards, drafts and the override log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from scoring.config import SentimentTrigger, TriggerConfig
from scoring.context import complexity_indicators, label
from scoring.conversation_facts import CitedMessage
from scoring.conversation_signals import (
    ALARM_TOPIC,
    HOSTILE_TONE,
    cited_details,
    conversation_signs,
    waiting_questions,
    working_hours_of,
)
from scoring.explain import weakest_factor
from scoring.factors import plural
from scoring.features import oldest_overdue_step, outreach_counts, window_start
from scoring.types import (
    AccountFacts,
    ContextKind,
    EngagementKind,
    HealthResult,
    Signal,
    Ticket,
    TriggerKey,
)
from scoring.working_time import working_time_between, zone_of


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


# The kinds of sentiment sign. All make automation step aside; the first three say the customer
# is frustrated, and a frustrated customer gets a person rather than a draft to approve. A low
# reply rate alone says they stopped reading automated email, not that they are angry.
ESCALATION_REQUESTS = "escalation_requests"
PUBLIC_COMPLAINT = "public_complaint"
FRUSTRATED_LANGUAGE = "frustrated_language"
LOW_REPLY_RATE = "low_reply_rate"
# Heard in the customer's linked channel (scoring.conversation_signals): rising hostile tone, a
# competitor or cancelling named. Both are for a person, like the frustration signs.
FRUSTRATION_SIGNS = frozenset(
    {ESCALATION_REQUESTS, PUBLIC_COMPLAINT, FRUSTRATED_LANGUAGE, HOSTILE_TONE, ALARM_TOPIC}
)


@dataclass(frozen=True, slots=True)
class SentimentSign:
    kind: str  # one of the kinds above
    words: str  # "2 escalation requests in 30 days"
    messages: tuple[CitedMessage, ...] = ()  # the channel messages it cites (by id)


def sentiment_signs(facts: AccountFacts, as_of: date, config: TriggerConfig) -> list[SentimentSign]:
    """The seeds' signs of deteriorating sentiment that show today; empty when there are none."""
    rules = config.triggers.sentiment
    since = window_start(as_of, rules.window_days)
    signs: list[SentimentSign] = []
    escalations = sum(
        1 for t in facts.tickets if t.is_escalation_request and since <= t.opened_at.date() <= as_of
    )
    if escalations >= rules.escalation_requests:
        words = f"{plural(escalations, 'escalation request')} in {rules.window_days} days"
        signs.append(SentimentSign(ESCALATION_REQUESTS, words))
    complained = any(
        e.kind is EngagementKind.PUBLIC_COMPLAINT and since <= e.at.date() <= as_of for e in facts.engagement
    ) or any(
        e.kind is ContextKind.PUBLIC_COMPLAINT and since <= e.starts_at.date() <= as_of for e in facts.context
    )
    if complained:
        signs.append(
            SentimentSign(PUBLIC_COMPLAINT, f"a public complaint in the last {rules.window_days} days")
        )
    sent, replied = outreach_counts(facts, as_of, rules.reply_window_days)
    if sent >= rules.min_outreach and replied / sent < rules.min_reply_rate:
        words = f"replies to {replied} of {sent} automated emails ({replied / sent:.0%})"
        signs.append(SentimentSign(LOW_REPLY_RATE, words))
    recent, earlier = frustration_counts(facts, as_of, rules)
    if recent >= rules.frustrated_tickets and recent > earlier:
        words = f"{plural(recent, 'ticket')} in frustrated language in {rules.window_days} days (up from {earlier})"
        signs.append(SentimentSign(FRUSTRATED_LANGUAGE, words))
    for sign in conversation_signs(facts.conversation, config.conversations):
        signs.append(SentimentSign(sign.kind, sign.words, sign.messages))
    return signs


def sentiment_evidence(facts: AccountFacts, as_of: date, config: TriggerConfig) -> list[str]:
    """The signs of deteriorating sentiment, in words; empty when there are none."""
    return [sign.words for sign in sentiment_signs(facts, as_of, config)]


def frustration(signals: list[Signal]) -> tuple[str, ...]:
    """The signs, in words, that the customer is frustrated (from the sentiment signal's
    details); empty when sentiment did not fire or only its reply rate is low."""
    for signal in signals:
        if signal.trigger is TriggerKey.SENTIMENT:
            kinds = signal.details.get("signs", [])
            words = signal.details.get("evidence", [])
            if isinstance(kinds, list) and isinstance(words, list):
                return tuple(str(w) for k, w in zip(kinds, words, strict=False) if k in FRUSTRATION_SIGNS)
    return ()


def crossing(value: float, threshold: float, margin: float) -> dict[str, object]:
    """The uniform threshold figures a threshold trigger's details carry (rounded for storage)."""
    return {"value": round(value, 4), "threshold": threshold, "margin": round(margin, 4)}


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
    segment = facts.segment.value
    threshold = int(config.triggers.line(TriggerKey.HEALTH_LOW, segment))
    if scored and health.score < threshold:
        signals.append(
            Signal(
                facts.account_id,
                TriggerKey.HEALTH_LOW,
                f"Health {health.score} ({health.band.value}) is below {threshold}: {_why(health)}.",
                {**details, **crossing(health.score, threshold, threshold - health.score)},
            )
        )
    drop = config.triggers.health_drop
    drop_line = config.triggers.line(TriggerKey.HEALTH_DROP, segment)
    if scored and previous_score and health.score <= previous_score * (1 - drop_line):
        fall = 1 - health.score / previous_score
        signals.append(
            Signal(
                facts.account_id,
                TriggerKey.HEALTH_DROP,
                f"Health fell {fall:.0%} in {drop.window_days} days ({previous_score} → {health.score}): {_why(health)}.",
                {
                    **details,
                    "previous_score": previous_score,
                    "drop": round(fall, 3),
                    **crossing(fall, drop_line, fall - drop_line),
                },
            )
        )
    signs = sentiment_signs(facts, as_of, config)
    if signs:
        evidence = [sign.words for sign in signs]
        signals.append(
            Signal(
                facts.account_id,
                TriggerKey.SENTIMENT,
                "Sentiment is deteriorating: " + "; ".join(evidence) + ".",
                {**details, "evidence": evidence, "signs": [sign.kind for sign in signs],
                 **_citing([m for sign in signs for m in sign.messages])},
            )
        )  # fmt: skip
    waiting = _customer_waiting(facts, config, details)
    if waiting is not None:
        signals.append(waiting)
    if scored:
        signals.extend(_commercial_signals(facts, health, as_of, config, details))
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


def _citing(messages: list[CitedMessage]) -> dict[str, object]:
    """The details key naming the channel messages a signal cites (none: no key)."""
    return {"messages": cited_details(messages)} if messages else {}


def _customer_waiting(
    facts: AccountFacts, config: TriggerConfig, details: dict[str, object]
) -> Signal | None:
    """customer_waiting: a customer question in their channel with no internal reply after
    `unanswered_working_hours` of the customer's working time (their time zone, weekends out)."""
    heard = facts.conversation
    if heard is None:
        return None
    waiting = waiting_questions(heard, config.conversations)
    if not waiting:
        return None
    rules = config.conversations
    oldest = waiting[0]
    hours = working_hours_of(rules)
    waited = working_time_between(oldest.posted_at, heard.read_at, zone_of(heard.timezone), hours)
    waited_hours = waited.total_seconds() / 3600
    asked = f"{oldest.posted_at.astimezone(zone_of(heard.timezone)):%a %d %b %H:%M}"
    more = f" ({plural(len(waiting), 'question')} waiting)" if len(waiting) > 1 else ""
    return Signal(
        facts.account_id,
        TriggerKey.CUSTOMER_WAITING,
        f"A customer question in their channel has had no answer for {waited_hours:.1f} working hours "
        f"(asked {asked} their time){more}.",
        {**details, "waiting": len(waiting), "working_hours_waited": round(waited_hours, 2),
         **crossing(waited_hours, rules.unanswered_working_hours, waited_hours - rules.unanswered_working_hours),
         **_citing(list(waiting[:3]))},
    )  # fmt: skip


def _commercial_signals(
    facts: AccountFacts, health: HealthResult, as_of: date, config: TriggerConfig, details: dict[str, object]
) -> list[Signal]:
    """expansion_ready, renewal_risk, renewal_reminder and onboarding_stalled."""
    rules = config.triggers
    signals: list[Signal] = []
    readiness = health.expansion_readiness
    line = int(rules.line(TriggerKey.EXPANSION_READY, facts.segment.value))
    if readiness is not None and readiness > line and health.score >= rules.expansion_ready.min_health:
        usage = next((f.detail for f in health.factors if f.name == "usage"), "")
        signals.append(
            Signal(
                facts.account_id,
                TriggerKey.EXPANSION_READY,
                f"Expansion ready ({readiness}/100): {usage}."
                if usage
                else f"Expansion ready ({readiness}/100).",
                {**details, "expansion_readiness": readiness, **crossing(readiness, line, readiness - line)},
            )
        )
    renewal = _renewal_signal(facts, health, as_of, config, details)
    if renewal is not None:
        signals.append(renewal)
    stalled = oldest_overdue_step(facts, as_of)
    grace = rules.onboarding_stalled.grace_days
    if stalled is not None and (as_of - stalled.due_date).days > grace:
        late = (as_of - stalled.due_date).days
        done = sum(
            1 for m in facts.milestones if m.completed_at is not None and m.completed_at.date() <= as_of
        )
        signals.append(
            Signal(
                facts.account_id,
                TriggerKey.ONBOARDING_STALLED,
                f"Onboarding stalled: “{stalled.step}” is {plural(late, 'day')} overdue "
                f"({done} of {len(facts.milestones)} steps done).",
                {**details, "overdue_step": stalled.step, "overdue_days": late, "steps_done": done,
                 "steps_total": len(facts.milestones), **crossing(late, grace, late - grace)},
            )
        )  # fmt: skip
    return signals


def _renewal_signal(
    facts: AccountFacts, health: HealthResult, as_of: date, config: TriggerConfig, details: dict[str, object]
) -> Signal | None:
    """renewal_risk for a risky renewal 30-60 days out; renewal_reminder for a safe one up to 90."""
    if facts.renewal_date is None or health.renewal_risk is None:
        return None
    days = (facts.renewal_date - as_of).days
    risk = health.renewal_risk
    facts_of_it = {
        **details,
        "renewal_date": facts.renewal_date.isoformat(),
        "days_to_renewal": days,
        "renewal_risk": round(risk, 3),
    }
    when = f"Renewal in {plural(days, 'day')} ({facts.renewal_date.isoformat()})"
    at_risk = config.triggers.renewal_risk
    high_risk = config.triggers.line(TriggerKey.RENEWAL_RISK, facts.segment.value)
    if at_risk.nearest_days <= days <= at_risk.furthest_days and risk >= high_risk:
        return Signal(
            facts.account_id,
            TriggerKey.RENEWAL_RISK,
            f"{when} with a {risk:.0%} chance of churn: {_why(health)}.",
            {**facts_of_it, **crossing(risk, high_risk, risk - high_risk)},
        )
    reminder = config.triggers.renewal_reminder
    if reminder.stop_days <= days <= reminder.start_days and risk < reminder.low_risk:
        return Signal(
            facts.account_id,
            TriggerKey.RENEWAL_REMINDER,
            f"{when}, low risk ({risk:.0%} chance of churn): a renewal reminder is due.",
            {**facts_of_it, **crossing(risk, reminder.low_risk, reminder.low_risk - risk)},
        )
    return None
