"""Guardrails on one account's decisions: what Tandem already did there limits what it does next.

Applied after routing, from the account's `AutomationHistory` (what happened before today):
- cooldown: a trigger that acted on the account (a card or a touch) stays quiet for its
  configured days; the signal is recorded as a suppressed hold, not posted again;
- a card still waiting: while a posted card awaits a decision, nothing new goes around the
  person who has it (suppressed hold);
- no cascades: an automated touch that went unanswered never by itself causes another
  automated touch; the next one goes to a person (auto → assist);
- a cap on automated touches per account per window (auto → assist);
- once per crisis: a crisis gets one card for a person; while it lasts, once a card about it
  went out (pending or decided), its signals are recorded as a suppressed hold. A new crisis
  (another kind or start) gets a new card;
- account exceptions ("quiet until it gets worse", scoring.exceptions, applied after these):
  a trigger an owner excepted on the account is a suppressed hold until the exception lapses.
An escalation and a crisis pass the cooldown and the waiting card (they are news the person
must have); a manual flag is left as it is.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from scoring.config import TriggerConfig
from scoring.context import crisis_events, label, latest
from scoring.exceptions import EXCEPTION_CODE
from scoring.factors import plural
from scoring.routing import CRISIS_CODE, demoted
from scoring.types import AccountFacts, AutomationHistory, Decision, EngagementKind, Reason, Route, TriggerKey

# Reason codes of a hold that only says "nothing new": such a decision never leads a card.
SUPPRESSING_CODES = frozenset({"cooldown", "card_waiting", "crisis_carded", EXCEPTION_CODE})
REPLY_KINDS = frozenset({EngagementKind.OUTREACH_REPLIED, EngagementKind.EMAIL_REPLIED})


def trigger_words(trigger: TriggerKey) -> str:
    return trigger.value.replace("_", " ")


def apply_guardrails(
    decision: Decision, facts: AccountFacts, *, as_of: date, config: TriggerConfig
) -> Decision:
    if decision.route is Route.HOLD or decision.trigger is TriggerKey.MANUAL_FLAG:
        return decision
    if decision.reasons and decision.reasons[0].code == CRISIS_CODE:
        return _once_per_crisis(decision, facts, as_of, config)
    if decision.route is not Route.ESCALATE:
        quiet = _quiet_reason(decision.trigger, facts.history, as_of, config)
        if quiet is not None:
            return replace(decision, route=Route.HOLD, reasons=(quiet, *decision.reasons), suppressed=True)
    if decision.route is Route.AUTO:
        lifts = _automation_limits(facts, as_of, config)
        if lifts:
            return replace(decision, route=Route.ASSIST, reasons=demoted((*lifts, *decision.reasons)))
    return decision


def _once_per_crisis(decision: Decision, facts: AccountFacts, as_of: date, config: TriggerConfig) -> Decision:
    """The crisis decision, or a suppressed hold when a card about this crisis already went out."""
    crisis = latest(crisis_events(facts, as_of, config.routing.crisis_lookback_days))
    key = decision.signal.details.get("crisis_key")
    carded = next((day for crisis_id, day in facts.history.crisis_cards if crisis_id == key), None)
    if crisis is None or carded is None:
        return decision
    quiet = Reason(
        "crisis_carded",
        f"Quiet: the {label(crisis.kind)} of {crisis.starts_at.date().isoformat()} is already with a "
        f"person (its card of {carded.isoformat()}); automated outreach stays paused.",
    )
    return replace(decision, route=Route.HOLD, reasons=(quiet, *decision.reasons), suppressed=True)


def _quiet_reason(
    trigger: TriggerKey, history: AutomationHistory, as_of: date, config: TriggerConfig
) -> Reason | None:
    cooldown = config.guardrails.cooldown_for(trigger)
    last = history.last_acted_on(trigger)
    if last is not None and (as_of - last).days < cooldown:
        return Reason(
            "cooldown",
            f"Quiet: {trigger_words(trigger)} already acted on {last.isoformat()} "
            f"({_ago(last, as_of)}); its cooldown is {plural(cooldown, 'day')}.",
        )
    if history.waiting_card is not None:
        waiting_trigger, posted = history.waiting_card
        return Reason(
            "card_waiting",
            f"Quiet: the {trigger_words(waiting_trigger)} card of {posted.isoformat()} is still "
            "waiting for a decision; nothing new goes around the person who has it.",
        )
    return None


def unanswered_touch(facts: AccountFacts, as_of: date) -> datetime | None:
    """The latest automated touch by `as_of` when no reply came after it, else None."""
    touches = [at for at in facts.history.auto_touches if at.date() <= as_of]
    if not touches:
        return None
    latest = max(touches)
    replied = any(
        event.kind in REPLY_KINDS and latest < event.at and event.at.date() <= as_of
        for event in facts.engagement
    )
    return None if replied else latest


def _automation_limits(facts: AccountFacts, as_of: date, config: TriggerConfig) -> list[Reason]:
    rules = config.guardrails
    lifts: list[Reason] = []
    unanswered = unanswered_touch(facts, as_of)
    if unanswered is not None and (as_of - unanswered.date()).days <= rules.cascade_window_days:
        lifts.append(
            Reason(
                "no_cascade",
                f"Human review: the automated message of {unanswered.date().isoformat()} is unanswered; "
                "an ignored message never triggers another automated one.",
            )
        )
    recent = [
        at
        for at in facts.history.auto_touches
        if 0 <= (as_of - at.date()).days < rules.auto_touch_window_days
    ]
    if len(recent) >= rules.auto_touch_cap:
        lifts.append(
            Reason(
                "auto_touch_cap",
                f"Human review: {plural(len(recent), 'automated touch', 'automated touches')} in "
                f"{rules.auto_touch_window_days} days already (the cap is {rules.auto_touch_cap}).",
            )
        )
    return lifts


def _ago(day: date, as_of: date) -> str:
    days = (as_of - day).days
    return "today" if days == 0 else "yesterday" if days == 1 else f"{days} days ago"
