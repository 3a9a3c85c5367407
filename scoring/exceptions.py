"""Account exceptions ("quiet until it gets worse"): when to offer one, what it quiets, when it lapses.

Pure functions over plain data (Sentry's "archive until escalating", per account and trigger):
- `offer_due`: the owner dismissed the same account and trigger as known context twice (by
  default) within 6 weeks, with no approval, edit or take-over of it between, and no exception
  offered and answered since: offer them an exception;
- `apply_exceptions`: the day's decisions for one account, each trigger under an exception in
  force turned into a suppressed quiet hold (code `account_exception`), and the exceptions that
  lapse today: when their days run out, when the score is `lapse_points` or more below the
  one they were set at, when another trigger acts on the account (a card or a touch; a repeat
  a guardrail kept quiet is nothing new), or when a crisis reaches a person through the excepted
  trigger. A lapsed exception's trigger acts as usual, and its decision says why it is back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from scoring.config import AccountExceptions
from scoring.routing import CRISIS_CODE
from scoring.types import AccountException, AccountFacts, Decision, Reason, Route, TriggerKey

EXCEPTION_CODE = "account_exception"  # a decision kept quiet by an exception
LAPSED_CODE = "exception_lapsed"  # a decision back from quiet: its exception lapsed today
NEVER_EXCEPTED = frozenset({TriggerKey.MANUAL_FLAG})  # a person raised it: never kept quiet


class LapseReason(StrEnum):
    EXPIRED = "expired"
    WORSENED = "worsened"
    OTHER_TRIGGER = "other_trigger"
    CRISIS = "crisis"


class PastOutcome(StrEnum):
    """What became of one earlier card (or offer) of the account and trigger, for `offer_due`."""

    KNOWN_CONTEXT = "known_context"  # dismissed as known context
    APPROVED = "approved"  # approved, edited or taken over: it was worth a person's time
    OTHER_DISMISSAL = "other_dismissal"  # another reason: neither counts nor resets
    EXCEPTION = "exception"  # an exception was offered and answered, or set from a card


@dataclass(frozen=True, slots=True)
class PastDecision:
    at: datetime
    outcome: PastOutcome
    by_owner: bool = True  # decided by the account's owner (only theirs count towards an offer)


@dataclass(frozen=True, slots=True)
class Lapse:
    exception: AccountException
    reason: LapseReason
    sentence: str  # "Back from quiet: the exception on health_low (set 2026-03-02) lapsed: …"


def offer_due(history: Sequence[PastDecision], *, now: datetime, rules: AccountExceptions) -> bool:
    """Whether the owner's latest known-context dismissal makes an exception offer due now."""
    past = sorted((d for d in history if d.at <= now), key=lambda d: d.at)
    latest = next(
        (i for i in range(len(past) - 1, -1, -1) if _counts(past[i])),
        None,
    )
    if latest is None:
        return False
    if any(_resets(d) for d in past[latest + 1 :]):  # approved since: the offer would be stale
        return False
    since = past[latest].at - timedelta(days=rules.offer_window_days)
    count = 0
    for decision in reversed(past[: latest + 1]):
        if decision.at < since or _resets(decision):
            break
        count += _counts(decision)
    return count >= rules.offer_after_dismissals


def _counts(decision: PastDecision) -> bool:
    return decision.outcome is PastOutcome.KNOWN_CONTEXT and decision.by_owner


def _resets(decision: PastDecision) -> bool:
    return decision.outcome in (PastOutcome.APPROVED, PastOutcome.EXCEPTION)


def apply_exceptions(
    decisions: Sequence[Decision],
    facts: AccountFacts,
    *,
    score: int | None,
    as_of: date,
    rules: AccountExceptions,
) -> tuple[list[Decision], list[Lapse]]:
    """The decisions with every excepted trigger kept quiet, and the exceptions that lapse
    today. `score` is today's (None when the account has no data to score: no lapse by score)."""
    in_force = [e for e in facts.history.exceptions if e.set_on <= as_of and e.trigger not in NEVER_EXCEPTED]
    if not in_force:
        return list(decisions), []
    by_trigger = {d.trigger: d for d in decisions}
    lapses: dict[int, Lapse] = {}
    for exception in in_force:
        first = _expired_or_worse(exception, score, as_of, rules) or _crisis(exception, by_trigger, facts)
        if first is not None:
            lapses[exception.exception_id] = first
    while True:  # a lapsed exception's trigger acts again, which may lapse another exception
        standing = {e.trigger for e in in_force if e.exception_id not in lapses}
        acting = sorted(d.trigger for d in decisions if d.trigger not in standing and _acts(d))
        fresh = [
            Lapse(e, LapseReason.OTHER_TRIGGER, _lapsed(e, f"{_names(acting)} fired on {facts.name} today"))
            for e in in_force
            if e.exception_id not in lapses and acting
        ]
        if not fresh:
            break
        lapses.update({lapse.exception.exception_id: lapse for lapse in fresh})
    quiet = {e.trigger: e for e in in_force if e.exception_id not in lapses}
    back = {lapse.exception.trigger: lapse for lapse in lapses.values()}
    guarded = [
        _quieted(d, quiet[d.trigger], facts.name, rules) if d.trigger in quiet else d for d in decisions
    ]
    guarded = [
        replace(d, reasons=(*d.reasons, Reason(LAPSED_CODE, back[d.trigger].sentence)))
        if d.trigger in back and _acts(d)
        else d
        for d in guarded
    ]
    return guarded, sorted(lapses.values(), key=lambda lapse: lapse.exception.exception_id)


def quiet_sentence(exception: AccountException, account_name: str, rules: AccountExceptions) -> str:
    floor = exception.baseline_score - rules.lapse_points
    return (
        f"Quiet: an exception set by <@{exception.set_by}> on {exception.set_on.isoformat()} keeps "
        f"{exception.trigger.value} quiet on {account_name} until {exception.expires_on.isoformat()} "
        f"unless it gets worse (a score of {floor} or lower, or another trigger firing)."
    )


def _quieted(
    decision: Decision, exception: AccountException, name: str, rules: AccountExceptions
) -> Decision:
    reason = Reason(EXCEPTION_CODE, quiet_sentence(exception, name, rules))
    return replace(decision, route=Route.HOLD, reasons=(reason, *decision.reasons), suppressed=True)


def _expired_or_worse(
    exception: AccountException, score: int | None, as_of: date, rules: AccountExceptions
) -> Lapse | None:
    if as_of >= exception.expires_on:
        days = (exception.expires_on - exception.set_on).days
        words = f"its {days} days ran out on {exception.expires_on.isoformat()}"
        return Lapse(exception, LapseReason.EXPIRED, _lapsed(exception, words, verb="ended"))
    if score is not None and score <= exception.baseline_score - rules.lapse_points:
        fall = exception.baseline_score - score
        words = f"the score fell from {exception.baseline_score} to {score}, {fall} points worse"
        return Lapse(exception, LapseReason.WORSENED, _lapsed(exception, words))
    return None


def _crisis(
    exception: AccountException, by_trigger: dict[TriggerKey, Decision], facts: AccountFacts
) -> Lapse | None:
    decision = by_trigger.get(exception.trigger)
    if (
        decision is None
        or decision.suppressed
        or not decision.reasons
        or decision.reasons[0].code != CRISIS_CODE
    ):
        return None
    return Lapse(
        exception, LapseReason.CRISIS, _lapsed(exception, f"a crisis at {facts.name} needs a person")
    )


def _acts(decision: Decision) -> bool:
    """A card or a touch today: news. A hold (a guardrail's "nothing new", a tripped trigger) is not."""
    return decision.route is not Route.HOLD and not decision.suppressed


def _lapsed(exception: AccountException, why: str, *, verb: str = "lapsed") -> str:
    return (
        f"Back from quiet: the exception on {exception.trigger.value} "
        f"(set {exception.set_on.isoformat()}) {verb}: {why}."
    )


def _names(triggers: Sequence[TriggerKey]) -> str:
    return " and ".join(trigger.value for trigger in triggers)
