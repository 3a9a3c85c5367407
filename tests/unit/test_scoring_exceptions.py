"""Account exceptions ("quiet until it gets worse"): the offer rule, the quieting, the lapses."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from scoring.config import load_default_config
from scoring.decisions import decide, decide_day
from scoring.exceptions import (
    EXCEPTION_CODE,
    LAPSED_CODE,
    LapseReason,
    PastDecision,
    PastOutcome,
    apply_exceptions,
    offer_due,
)
from scoring.routing import route_signal
from scoring.types import (
    AccountException,
    AccountFacts,
    AutomationHistory,
    ContextKind,
    Decision,
    Reason,
    Route,
    Segment,
    TriggerKey,
)
from tests.unit.scoring_factories import AS_OF, account, book, context, health, signal, usage

CONFIG = load_default_config()
RULES = CONFIG.guardrails.account_exceptions
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
SET_ON = date(2026, 2, 20)


def _dismissed(
    days_ago: float, outcome: PastOutcome = PastOutcome.KNOWN_CONTEXT, *, by_owner: bool = True
) -> PastDecision:
    return PastDecision(NOW - timedelta(days=days_ago), outcome, by_owner)


def _exception(
    trigger: TriggerKey = TriggerKey.HEALTH_LOW,
    *,
    baseline: int = 48,
    set_on: date = SET_ON,
    exception_id: int = 1,
) -> AccountException:
    return AccountException(exception_id, trigger, "U0CSM001", set_on, set_on + timedelta(days=90), baseline)


def _facts(*exceptions: AccountException, history: AutomationHistory | None = None) -> AccountFacts:
    base = history or AutomationHistory()
    return account(history=AutomationHistory(last_acted=base.last_acted, exceptions=exceptions))


def _routed(trigger: TriggerKey, facts: AccountFacts) -> Decision:
    return route_signal(
        facts, signal(trigger), book=book(), as_of=AS_OF, config=CONFIG, sentiment_fired=False
    )


def _suppressed(trigger: TriggerKey) -> Decision:
    """A repeat a guardrail already kept quiet (a cooldown): nothing new."""
    return Decision(signal(trigger), Route.HOLD, (Reason("cooldown", "Quiet: cooldown."),), suppressed=True)


# -- the offer ---------------------------------------------------------------------------------


def test_two_known_context_dismissals_in_six_weeks_make_an_offer_due() -> None:
    assert offer_due([_dismissed(30), _dismissed(0)], now=NOW, rules=RULES)


def test_one_dismissal_is_not_enough() -> None:
    assert not offer_due([_dismissed(0)], now=NOW, rules=RULES)


def test_an_approval_between_the_dismissals_means_no_offer() -> None:
    history = [_dismissed(30), _dismissed(20, PastOutcome.APPROVED), _dismissed(0)]
    assert not offer_due(history, now=NOW, rules=RULES)


def test_dismissals_further_apart_than_six_weeks_make_no_offer() -> None:
    assert offer_due([_dismissed(42), _dismissed(0)], now=NOW, rules=RULES)  # the window's last day
    assert not offer_due([_dismissed(43), _dismissed(0)], now=NOW, rules=RULES)


def test_only_the_owners_known_context_dismissals_count() -> None:
    assert not offer_due([_dismissed(10, by_owner=False), _dismissed(0)], now=NOW, rules=RULES)
    other_reason = [_dismissed(10, PastOutcome.OTHER_DISMISSAL), _dismissed(0)]
    assert not offer_due(other_reason, now=NOW, rules=RULES)
    # ... and another reason between two known-context dismissals neither counts nor resets.
    between = [_dismissed(20), _dismissed(10, PastOutcome.OTHER_DISMISSAL), _dismissed(0)]
    assert offer_due(between, now=NOW, rules=RULES)


def test_an_answered_offer_starts_the_count_again() -> None:
    history = [_dismissed(30), _dismissed(20), _dismissed(15, PastOutcome.EXCEPTION), _dismissed(0)]
    assert not offer_due(history, now=NOW, rules=RULES)
    assert offer_due([*history, _dismissed(-1)], now=NOW + timedelta(days=1), rules=RULES)


def test_an_approval_after_the_latest_dismissal_makes_the_offer_stale() -> None:
    history = [_dismissed(30), _dismissed(2), _dismissed(1, PastOutcome.APPROVED)]
    assert not offer_due(history, now=NOW, rules=RULES)


# -- the quieting ------------------------------------------------------------------------------


def test_an_excepted_trigger_is_a_suppressed_quiet_hold_with_its_sentence() -> None:
    facts = _facts(_exception(set_on=date(2026, 3, 2)))
    decisions, lapses = apply_exceptions(
        [_routed(TriggerKey.HEALTH_LOW, facts)], facts, score=48, as_of=AS_OF, rules=RULES
    )
    (quiet,) = decisions
    assert lapses == []
    assert quiet.route is Route.HOLD and quiet.suppressed
    assert quiet.reasons[0] == Reason(
        EXCEPTION_CODE,
        "Quiet: an exception set by <@U0CSM001> on 2026-03-02 keeps health_low quiet on Acme Corp until "
        "2026-05-31 unless it gets worse (a score of 40 or lower, or another trigger firing).",
    )


def test_other_triggers_are_left_alone_and_a_manual_flag_is_never_quieted() -> None:
    facts = _facts(_exception(), _exception(TriggerKey.MANUAL_FLAG, exception_id=2))
    flag = _routed(TriggerKey.MANUAL_FLAG, facts)
    decisions, _ = apply_exceptions(
        [_suppressed(TriggerKey.HEALTH_DROP), flag], facts, score=48, as_of=AS_OF, rules=RULES
    )
    assert decisions[1] == flag


def test_an_exception_set_after_the_scoring_day_does_not_apply_yet() -> None:
    facts = _facts(_exception(set_on=AS_OF + timedelta(days=1)))
    routed = _routed(TriggerKey.HEALTH_LOW, facts)
    assert apply_exceptions([routed], facts, score=48, as_of=AS_OF, rules=RULES) == ([routed], [])


# -- the lapses --------------------------------------------------------------------------------


def test_a_score_eight_points_worse_lapses_it_and_the_trigger_acts_again() -> None:
    facts = _facts(_exception(baseline=48))
    routed = _routed(TriggerKey.HEALTH_LOW, facts)
    still, none = apply_exceptions([routed], facts, score=41, as_of=AS_OF, rules=RULES)  # 7 worse
    assert none == [] and still[0].route is Route.HOLD
    back, (lapse,) = apply_exceptions([routed], facts, score=40, as_of=AS_OF, rules=RULES)  # 8 worse
    assert lapse.reason is LapseReason.WORSENED and lapse.exception.exception_id == 1
    assert "the score fell from 48 to 40, 8 points worse" in lapse.sentence
    assert back[0].route is routed.route is Route.AUTO and not back[0].suppressed
    assert back[0].reasons[-1] == Reason(LAPSED_CODE, lapse.sentence)


def test_a_score_that_improves_or_a_placeholder_score_keeps_it() -> None:
    facts = _facts(_exception(baseline=48))
    routed = _routed(TriggerKey.HEALTH_LOW, facts)
    for score in (60, None):
        decisions, lapses = apply_exceptions([routed], facts, score=score, as_of=AS_OF, rules=RULES)
        assert lapses == [] and decisions[0].route is Route.HOLD


def test_another_trigger_that_acts_lapses_it() -> None:
    facts = _facts(_exception())
    low, sentiment = _routed(TriggerKey.HEALTH_LOW, facts), _routed(TriggerKey.SENTIMENT, facts)
    decisions, (lapse,) = apply_exceptions([low, sentiment], facts, score=48, as_of=AS_OF, rules=RULES)
    assert lapse.reason is LapseReason.OTHER_TRIGGER
    assert "sentiment fired on Acme Corp today" in lapse.sentence
    assert [d.route for d in decisions] == [low.route, sentiment.route]
    assert decisions[0].reasons[-1].code == LAPSED_CODE
    assert LAPSED_CODE not in [r.code for r in decisions[1].reasons]


def test_another_trigger_kept_quiet_by_a_guardrail_is_nothing_new() -> None:
    facts = _facts(_exception())
    low = _routed(TriggerKey.HEALTH_LOW, facts)
    decisions, lapses = apply_exceptions(
        [low, _suppressed(TriggerKey.RENEWAL_REMINDER)], facts, score=48, as_of=AS_OF, rules=RULES
    )
    assert lapses == [] and decisions[0].route is Route.HOLD


def test_it_lapses_even_when_its_own_trigger_does_not_fire_today() -> None:
    facts = _facts(_exception(TriggerKey.RENEWAL_RISK))
    decisions, (lapse,) = apply_exceptions(
        [_routed(TriggerKey.HEALTH_LOW, facts)], facts, score=48, as_of=AS_OF, rules=RULES
    )
    assert lapse.reason is LapseReason.OTHER_TRIGGER and decisions[0].route is Route.AUTO


def test_a_lapse_cascades_to_another_exception_on_the_account() -> None:
    """health_low worsened and acts again: that is another trigger firing for health_drop's."""
    facts = _facts(_exception(baseline=60), _exception(TriggerKey.HEALTH_DROP, baseline=60, exception_id=2))
    both = [_routed(TriggerKey.HEALTH_LOW, facts), _routed(TriggerKey.HEALTH_DROP, facts)]
    decisions, lapses = apply_exceptions(both, facts, score=48, as_of=AS_OF, rules=RULES)
    assert [(lapse.exception.exception_id, lapse.reason) for lapse in lapses] == [
        (1, LapseReason.WORSENED),
        (2, LapseReason.WORSENED),
    ]
    assert all(d.route is Route.AUTO for d in decisions)
    one_worse = _facts(
        _exception(baseline=60), _exception(TriggerKey.HEALTH_DROP, baseline=40, exception_id=2)
    )
    _, lapses = apply_exceptions(both, one_worse, score=48, as_of=AS_OF, rules=RULES)
    assert [(lapse.exception.exception_id, lapse.reason) for lapse in lapses] == [
        (1, LapseReason.WORSENED),
        (2, LapseReason.OTHER_TRIGGER),
    ]


def test_two_exceptions_whose_triggers_are_both_quiet_do_not_lapse_each_other() -> None:
    facts = _facts(_exception(), _exception(TriggerKey.HEALTH_DROP, exception_id=2))
    both = [_routed(TriggerKey.HEALTH_LOW, facts), _routed(TriggerKey.HEALTH_DROP, facts)]
    decisions, lapses = apply_exceptions(both, facts, score=48, as_of=AS_OF, rules=RULES)
    assert lapses == [] and all(d.route is Route.HOLD for d in decisions)


def test_it_expires_after_ninety_days() -> None:
    set_on = AS_OF - timedelta(days=89)
    facts = _facts(_exception(set_on=set_on))
    routed = _routed(TriggerKey.HEALTH_LOW, facts)
    assert apply_exceptions([routed], facts, score=48, as_of=AS_OF, rules=RULES)[0][0].route is Route.HOLD
    later = AS_OF + timedelta(days=1)
    decisions, (lapse,) = apply_exceptions([routed], facts, score=48, as_of=later, rules=RULES)
    assert lapse.reason is LapseReason.EXPIRED and "its 90 days ran out on 2026-03-03" in lapse.sentence
    assert decisions[0].route is Route.AUTO


def test_a_crisis_through_the_excepted_trigger_lapses_it() -> None:
    facts = account(
        context=(context(ContextKind.SECURITY_INCIDENT, 1),),
        history=AutomationHistory(exceptions=(_exception(),)),
    )
    decisions, (lapse,) = apply_exceptions(
        [_routed(TriggerKey.HEALTH_LOW, facts)], facts, score=48, as_of=AS_OF, rules=RULES
    )
    assert lapse.reason is LapseReason.CRISIS and decisions[0].route is Route.HUMAN


def test_decide_quiets_the_trigger_and_decide_day_reports_lapses() -> None:
    low = account(
        usage=usage(10), segment=Segment.SMB, history=AutomationHistory(exceptions=(_exception(baseline=40),))
    )
    result = health(35)
    (quiet,) = [d for d in decide(low, result, book=book(), as_of=AS_OF, config=CONFIG, previous=None)
                if d.trigger is TriggerKey.HEALTH_LOW]  # fmt: skip
    assert quiet.route is Route.HOLD and quiet.reasons[0].code == EXCEPTION_CODE
    day = decide_day(low, health(32), book=book(), as_of=AS_OF, config=CONFIG, previous=None)
    assert [lapse.reason for lapse in day.lapses] == [LapseReason.WORSENED]
    assert all(d.reasons[0].code != EXCEPTION_CODE for d in day.decisions)
