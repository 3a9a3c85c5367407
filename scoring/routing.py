"""Where a fired trigger goes: the value × complexity matrix and the seeds' hard rules over it.

Hard rules, most binding first (the first that applies decides):
1. the CSM's veto, a take-over, or an account set to human → human;
2. two or more complexity indicators at once → escalate (CSM and manager);
3. a crisis context (security incident, layoffs, merger, champion change) → human: automated
   outreach pauses, a person reaches out (the crisis named; once per crisis, see guardrails);
4. one complexity indicator → human;
5. a migration or data gap in view → human, no outreach (known context explains the drop);
6. a sales hand-off trigger (expansion) → human: a person brings in the account team;
7. a learned `human` routing rule matching the account's cell (`routing.rules`) → human.
A customer waiting for an answer in their channel (customer_waiting) always goes to a person.
Then the matrix (high value: segment or top-decile ARR; high complexity: a commercial trigger
or several open severe tickets). After it, a frustrated customer (escalation requests, a public
complaint, frustrated ticket language) lifts `auto` and `assist` to `human`: a person answers,
not a draft with an Approve button. Sentiment otherwise (a low reply rate alone), the
2%-of-ARR rule and an account set to assist each lift `auto` to `assist`. Only when none of
these applies does a learned `auto` rule turn the matrix's `assist` into `auto` (the touch then
waits out the usual hold window, with Cancel in the digest). A crisis in view blocks
celebratory tone whatever the route.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from scoring.config import TriggerConfig
from scoring.context import (
    complexity_indicators,
    crisis_events,
    crisis_key,
    data_quality_events,
    days_ago,
    label,
    latest,
)
from scoring.factors import plural
from scoring.features import SEVERE
from scoring.money import money
from scoring.routing_rules import matching_rules, rule_note, rule_words
from scoring.types import AccountFacts, AutomationMode, BookFacts, Decision, Reason, Route, Signal, TriggerKey

CRISIS_CODE = "crisis_context"
WAITING_CODE = "customer_waiting"
LEARNED_HUMAN_CODE = "learned_route_human"
LEARNED_AUTO_CODE = "learned_route_auto"
SEGMENT_WORDS = {
    "enterprise": "enterprise",
    "mid_market": "mid-market",
    "smb": "SMB",
    "self_serve": "self-serve",
}


def high_value_because(facts: AccountFacts, book: BookFacts, config: TriggerConfig) -> str | None:
    """Why the relationship is high value ("enterprise account", "top-decile ARR ($95,000)"), or None."""
    rules = config.routing
    if facts.segment in rules.high_value_segments:
        return f"{SEGMENT_WORDS[facts.segment.value]} account"
    if facts.arr >= book.arr_at_percentile(rules.high_value_arr_percentile):
        return f"{SEGMENT_WORDS[facts.segment.value]} account with top-{100 - rules.high_value_arr_percentile * 100:.0f}% ARR ({money(facts.arr)})"
    return None


def high_complexity_because(
    facts: AccountFacts, signal: Signal, as_of: date, config: TriggerConfig
) -> str | None:
    """Why this touchpoint is complex, below the hard-rule indicators, or None."""
    rules = config.routing
    if signal.trigger in rules.complex_triggers:
        return f"a {signal.trigger.value.replace('_', ' ')} conversation"
    severe_open = sum(
        1
        for t in facts.tickets
        if t.severity in SEVERE
        and t.opened_at.date() <= as_of
        and (t.closed_at is None or t.closed_at.date() > as_of)
    )
    if severe_open >= rules.complex_open_severe_tickets:
        return f"{plural(severe_open, 'open high or urgent ticket')}"
    return None


def route_signal(
    facts: AccountFacts,
    signal: Signal,
    *,
    book: BookFacts,
    as_of: date,
    config: TriggerConfig,
    sentiment_fired: bool,
    frustration: tuple[str, ...] = (),
) -> Decision:
    """The route of one signal. `sentiment_fired`: the account's sentiment trigger fired today;
    `frustration`: the signs among it, in words, that the customer is frustrated (every touchpoint
    of the account then goes to a person)."""
    crisis = latest(crisis_events(facts, as_of, config.routing.crisis_lookback_days))
    decision = _hard_rules(facts, signal, as_of=as_of, config=config) or _matrix(
        facts,
        signal,
        book=book,
        as_of=as_of,
        config=config,
        sentiment_fired=sentiment_fired,
        frustration=frustration,
    )
    if crisis is not None and not decision.celebratory_tone_blocked:
        decision = replace(decision, celebratory_tone_blocked=True)
    crisis_decided = decision.reasons[0].code == CRISIS_CODE
    if signal.trigger is TriggerKey.MANUAL_FLAG and (
        crisis_decided or decision.route not in (Route.HUMAN, Route.ESCALATE)
    ):
        # A CSM flagged what Tandem missed: a person handles it, whatever automation would do.
        flagged = Reason("manual_flag", "Human: a CSM flagged this account; a person handles it.")
        decision = replace(decision, route=Route.HUMAN, reasons=(flagged, *decision.reasons))
    if signal.trigger is TriggerKey.CUSTOMER_WAITING:
        # The customer asked and nobody answered: the owner answers, now (exempt from the daily
        # card budget, see scoring.card_budget); Tandem never answers for them.
        waiting = Reason(
            WAITING_CODE, "Human: a customer is waiting for an answer in their channel; reply there."
        )
        route = decision.route if decision.route is Route.ESCALATE else Route.HUMAN
        decision = replace(decision, route=route, reasons=(waiting, *decision.reasons))
    return decision


def hard_rules(facts: AccountFacts, signal: Signal, *, as_of: date, config: TriggerConfig) -> Decision | None:
    """The hard rule that decides this signal's route, or None when the matrix decides. Also the
    outbox's last check before an automated touch goes out (a crisis may have begun since)."""
    return _hard_rules(facts, signal, as_of=as_of, config=config)


def _hard_rules(
    facts: AccountFacts, signal: Signal, *, as_of: date, config: TriggerConfig
) -> Decision | None:
    name = facts.name
    if facts.always_human:
        return _one(signal, Route.HUMAN, "csm_veto", f"Human: the CSM marked {name} “always human”.")
    if facts.human_handled:
        return _one(
            signal, Route.HUMAN, "taken_over", f"Human: a CSM took over {name}; automation is paused."
        )
    if facts.automation_paused:
        return _one(
            signal,
            Route.HUMAN,
            "automation_paused",
            f"Human: automation on {name} is paused; a person handles it.",
        )
    if facts.automation_mode is AutomationMode.HUMAN:
        return _one(signal, Route.HUMAN, "account_human_mode", f"Human: {name} is set to human handling.")

    indicators = complexity_indicators(facts, as_of)
    if len(indicators) >= 2:
        names = " and ".join(label(kind) for kind in indicators)
        sentence = f"Escalate now to the CSM and their manager: {len(indicators)} complexity indicators at once ({names})."
        return Decision(
            signal, Route.ESCALATE, (Reason("complexity_multiple", sentence),), notify_manager=True
        )

    crisis = latest(crisis_events(facts, as_of, config.routing.crisis_lookback_days))
    if crisis is not None:
        # A crisis pauses automation, not people: a person reaches out, in a supportive tone.
        sentence = (
            f"Automated outreach paused: {label(crisis.kind)} reported {days_ago(crisis, as_of)}. "
            "Reach out personally; keep it brief and supportive, nothing celebratory."
        )
        keyed = replace(signal, details={**signal.details, "crisis_key": crisis_key(crisis)})
        return Decision(keyed, Route.HUMAN, (Reason(CRISIS_CODE, sentence),), celebratory_tone_blocked=True)

    if len(indicators) == 1:
        return _one(
            signal, Route.HUMAN, "complexity_single", f"Human takes over: {label(indicators[0])} in progress."
        )

    quality = latest(data_quality_events(facts, as_of, config.confidence.data_quality_lookback_days))
    if quality is not None:
        sentence = (
            f"Human review, no automated outreach: known context explains the drop "
            f"({label(quality.kind)} started {quality.starts_at.date().isoformat()})."
        )
        return _one(signal, Route.HUMAN, "known_context", sentence)

    if signal.trigger in config.routing.handoff_triggers:
        sentence = f"Hand-off to sales: {name} looks ready to grow; a person brings in the account team."
        return _one(signal, Route.HUMAN, "sales_handoff", sentence)

    learned = matching_rules(config.routing.rules, facts, signal.trigger, as_of, route="human")
    if learned:
        sentence = f"Human: a learned routing rule sends {rule_words(learned[0])} to a person{rule_note(learned[0])}."
        return _one(signal, Route.HUMAN, LEARNED_HUMAN_CODE, sentence)
    return None


def _matrix(
    facts: AccountFacts,
    signal: Signal,
    *,
    book: BookFacts,
    as_of: date,
    config: TriggerConfig,
    sentiment_fired: bool,
    frustration: tuple[str, ...] = (),
) -> Decision:
    value = high_value_because(facts, book, config)
    complexity = high_complexity_because(facts, signal, as_of, config)
    segment = f"{SEGMENT_WORDS[facts.segment.value]} account"
    if value and complexity:
        route, code = Route.HUMAN, "matrix_high_value_high_complexity"
        sentence = f"Always human: {value}, high complexity ({complexity})."
    elif value:
        route, code = Route.ASSIST, "matrix_high_value_low_complexity"
        sentence = f"Human with automation assist: {value}, low complexity."
    elif complexity:
        # "Selective": the standard path is drafted, the exception goes to a person to approve.
        route, code = Route.ASSIST, "matrix_low_value_high_complexity"
        sentence = (
            f"Selective automation: {segment}, high complexity ({complexity}); a person approves the draft."
        )
    else:
        route, code = Route.AUTO, "matrix_low_value_low_complexity"
        sentence = f"Full automation: {segment}, low complexity."

    if frustration and route is not Route.HUMAN:
        signs = "; ".join(frustration)
        reason = Reason(
            "sentiment_frustrated",
            f"Human, no automated send: {facts.name} is frustrated — {signs}. A person answers, "
            "not an automated email.",
        )
        return Decision(signal, Route.HUMAN, demoted((reason, Reason(code, sentence))))
    lifts: list[Reason] = []  # rules that each keep a person in the loop (auto → assist)
    if route in (Route.AUTO, Route.ASSIST):
        if sentiment_fired:
            lifts.append(
                Reason("sentiment", f"Automation steps aside: sentiment at {facts.name} is deteriorating.")
            )
        share = facts.arr / book.total_arr if book.total_arr > 0 else 0.0
        if share > config.routing.arr_share_human_review:
            lifts.append(
                Reason("arr_share_above_limit", f"Human review: {facts.name} is {share:.1%} of total ARR.")
            )
        if facts.automation_mode is AutomationMode.ASSIST:
            lifts.append(Reason("account_assist_mode", f"Human review: {facts.name} is set to assist."))
    if lifts:
        return Decision(signal, Route.ASSIST, demoted((*lifts, Reason(code, sentence))))
    automated = (
        matching_rules(config.routing.rules, facts, signal.trigger, as_of, route="auto")
        if route is Route.ASSIST
        else []
    )
    if automated:
        learned = Reason(
            LEARNED_AUTO_CODE,
            f"Automated with the hold window: a learned routing rule automates {rule_words(automated[0])}"
            f"{rule_note(automated[0])}; the CSM can cancel it in the digest.",
        )
        return Decision(signal, Route.AUTO, (learned, Reason(code, f"Without the rule — {sentence}")))
    return Decision(signal, route, (Reason(code, sentence),))


def demoted(reasons: tuple[Reason, ...]) -> tuple[Reason, ...]:
    """The reasons of a touch lifted from full automation to a person: the matrix's "Full
    automation" sentence then says that automation would have applied, not that it does."""
    return tuple(
        Reason(
            r.code,
            r.sentence.replace("Full automation: ", "Full automation would apply (", 1).rstrip(".")
            + "); a person reviews instead.",
        )
        if r.code == "matrix_low_value_low_complexity" and r.sentence.startswith("Full automation: ")
        else r
        for r in reasons
    )


def _one(signal: Signal, route: Route, code: str, sentence: str) -> Decision:
    return Decision(signal, route, (Reason(code, sentence),))
