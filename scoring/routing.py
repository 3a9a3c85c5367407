"""Where a fired trigger goes: the value × complexity matrix and the hard rules over it.

Precedence, most cautious first: the CSM's veto or a take-over; two or more complexity
indicators (escalate); a crisis context (hold); one complexity indicator (human); a known
data-quality context (human); then the matrix, with sentiment, the 2%-of-ARR rule and an
account's `assist` setting each able to lift `auto` to `assist`.
"""

from __future__ import annotations

from datetime import date

from scoring.config import TriggerConfig
from scoring.triggers import active_context, complexity_indicators
from scoring.types import (
    CRISIS_CONTEXT,
    DATA_QUALITY_CONTEXT,
    AccountFacts,
    AutomationMode,
    BookFacts,
    Decision,
    Reason,
    Route,
    Signal,
    TriggerKey,
)


def _label(kind: str) -> str:
    return kind.replace("_", " ")


def is_high_value(facts: AccountFacts, book: BookFacts, config: TriggerConfig) -> bool:
    rules = config.routing
    return facts.segment.value in rules.high_value_segments or facts.arr >= book.arr_at_percentile(
        rules.high_value_arr_percentile
    )


def route_signal(
    facts: AccountFacts,
    signal: Signal,
    *,
    book: BookFacts,
    as_of: date,
    config: TriggerConfig,
    sentiment_fired: bool,
) -> Decision:
    name = facts.name
    if facts.always_human:
        return Decision(
            signal, Route.HUMAN, (Reason("csm_veto", f"Human: the CSM marked {name} “always human”."),)
        )
    if facts.human_handled:
        return Decision(
            signal,
            Route.HUMAN,
            (Reason("taken_over", f"Human: a CSM took over {name}; automation is paused."),),
        )
    if facts.automation_mode is AutomationMode.HUMAN:
        return Decision(
            signal, Route.HUMAN, (Reason("account_human_mode", f"Human: {name} is set to human handling."),)
        )

    indicators = complexity_indicators(facts, as_of)
    if len(indicators) >= 2:
        names = " and ".join(_label(kind.value) for kind in indicators)
        reason = Reason(
            "complexity_multiple", f"Escalate now: {len(indicators)} complexity indicators at once ({names})."
        )
        return Decision(signal, Route.ESCALATE, (reason,), notify_manager=True, celebratory_tone_blocked=True)

    crisis = active_context(facts, as_of, CRISIS_CONTEXT, config.routing.crisis_lookback_days)
    if crisis:
        latest = max(crisis, key=lambda e: e.starts_at)
        days = (as_of - latest.starts_at.date()).days
        when = "today" if days == 0 else f"{days} day{'s' if days != 1 else ''} ago"
        reason = Reason(
            "crisis_context",
            f"On hold: {_label(latest.kind.value)} reported {when}; automated outreach paused and celebratory tone blocked.",
        )
        return Decision(signal, Route.HOLD, (reason,), celebratory_tone_blocked=True)

    if len(indicators) == 1 or signal.trigger is TriggerKey.COMPLEXITY:
        what = _label(indicators[0].value) if indicators else "complexity"
        return Decision(
            signal, Route.HUMAN, (Reason("complexity_single", f"Human takes over: {what} in progress."),)
        )

    quality = active_context(facts, as_of, DATA_QUALITY_CONTEXT, config.confidence.data_quality_lookback_days)
    if quality:
        event = max(quality, key=lambda e: e.starts_at)
        reason = Reason(
            "known_context",
            f"Human review, no automated outreach: a {_label(event.kind.value)} started "
            f"{event.starts_at.date().isoformat()} likely explains the drop.",
        )
        return Decision(signal, Route.HUMAN, (reason,))

    if signal.trigger is TriggerKey.SENTIMENT:
        reason = Reason("sentiment", f"Human: sentiment is deteriorating at {name}; automation steps aside.")
        return Decision(signal, Route.HUMAN, (reason,))

    return _matrix(facts, signal, book=book, config=config, sentiment_fired=sentiment_fired)


def _matrix(
    facts: AccountFacts, signal: Signal, *, book: BookFacts, config: TriggerConfig, sentiment_fired: bool
) -> Decision:
    reasons: list[Reason] = []
    segment = _label(facts.segment.value)
    if is_high_value(facts, book, config):
        route = Route.ASSIST
        reasons.append(
            Reason("matrix_high_value", f"Human with automation assist: {segment} account, low complexity.")
        )
    else:
        route = Route.AUTO
        reasons.append(Reason("matrix_low_value", f"Full automation: {segment} account, low complexity."))

    share = facts.arr / book.total_arr if book.total_arr > 0 else 0.0
    if share > config.routing.arr_share_human_review:
        route = Route.ASSIST
        reasons.insert(0, Reason("arr_share", f"Human review: {facts.name} is {share:.1%} of total ARR."))
    if sentiment_fired and route is Route.AUTO:
        route = Route.ASSIST
        reasons.insert(0, Reason("sentiment", "Automation steps aside: sentiment is deteriorating."))
    if facts.automation_mode is AutomationMode.ASSIST and route is Route.AUTO:
        route = Route.ASSIST
        reasons.insert(0, Reason("account_assist_mode", f"Human review: {facts.name} is set to assist."))
    return Decision(signal, route, tuple(reasons))
