"""What a replay reads: stored daily values, past cards with their decisions, churned accounts.

All dated as known on `as_of`; the replay itself (scoring.learning.replay) is pure.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from scoring.learning.replay import Churned, DayValue, PastCard, ReplayAccount
from storage.enums import CardKind, RenewalOutcomeKind
from storage.models import Account, EscalationCard, HealthSnapshot, RenewalOutcome, Signal


def load_replay_accounts(session: Session, *, segment: str, since: date, as_of: date) -> list[ReplayAccount]:
    """The segment's accounts with their stored daily values from `since` to `as_of`."""
    query = (
        select(
            HealthSnapshot.account_id, HealthSnapshot.as_of, HealthSnapshot.score,
            HealthSnapshot.expansion_readiness, HealthSnapshot.renewal_risk,
        )
        .join(Account, Account.account_id == HealthSnapshot.account_id)
        .where(Account.segment == segment, HealthSnapshot.as_of.between(since, as_of))
        .order_by(HealthSnapshot.account_id, HealthSnapshot.as_of)
    )  # fmt: skip
    days: dict[str, list[DayValue]] = defaultdict(list)
    for account_id, day, score, readiness, risk in session.execute(query):
        days[account_id].append(DayValue(day, score, readiness, risk))
    people = select(Account.account_id, Account.name, Account.owner_slack_id, Account.renewal_date).where(
        Account.segment == segment
    )
    return [
        ReplayAccount(account_id, name, segment, owner, renewal, tuple(days.get(account_id, ())))
        for account_id, name, owner, renewal in session.execute(people)
    ]


def load_past_cards(session: Session, *, since: date, as_of: date) -> list[PastCard]:
    """Fired cards (not audit cards) from cycle days `since`..`as_of`, with how they were decided."""
    query = (
        select(EscalationCard.id, EscalationCard.account_id, Signal.trigger, Signal.as_of,
               EscalationCard.state, EscalationCard.dismiss_reason)
        .join(Signal, Signal.id == EscalationCard.signal_id)
        .where(Signal.as_of.between(since, as_of), EscalationCard.kind != CardKind.AUDIT.value)
        .order_by(EscalationCard.id)
    )  # fmt: skip
    return [
        PastCard(card_id, account_id, trigger, day, _decision(state, reason))
        for card_id, account_id, trigger, day, state, reason in session.execute(query)
    ]


def _decision(state: str, reason: str | None) -> str:
    if state == "dismissed":
        return f"dismissed: {reason or 'no reason'}"
    if state in ("pending", "superseded"):
        return "undecided"
    return state


def load_churned(session: Session, *, since: date, as_of: date) -> list[Churned]:
    query = (
        select(RenewalOutcome.account_id, Account.name, RenewalOutcome.renewal_date)
        .join(Account, Account.account_id == RenewalOutcome.account_id)
        .where(
            RenewalOutcome.renewal_date.between(since, as_of),
            RenewalOutcome.outcome == RenewalOutcomeKind.CHURNED.value,
        )
        .order_by(RenewalOutcome.renewal_date)
    )
    return [Churned(account_id, name, day) for account_id, name, day in session.execute(query)]


def load_signal_routes(
    session: Session, *, trigger: str, segment: str, since: date, as_of: date
) -> dict[tuple[str, date], str]:
    """The route each stored signal of `trigger` in `segment` was given, by (account, day)."""
    query = (
        select(Signal.account_id, Signal.as_of, Signal.route)
        .join(Account, Account.account_id == Signal.account_id)
        .where(Signal.trigger == trigger, Account.segment == segment, Signal.as_of.between(since, as_of))
    )
    return {(account_id, day): route for account_id, day, route in session.execute(query)}
