"""What learning reads, in bulk: stored decisions with their context, cards, renewal outcomes.

Everything is loaded as known on `as_of` (decisions made, cards created, replies received and
renewals that happened by the end of that day) and dated by the cycle day a card came from,
so a report or a proposal run `--as-of` a past day sees what it would have seen then. Rows
become `scoring.learning.types` values; the learning code itself never touches a session.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, literal, or_, select
from sqlalchemy.orm import Session

from scoring.learning.types import NOT_DECISIONS, Action, CardRecord, KnownOutcome, StoredDecision
from scoring.types import EngagementKind
from storage.enums import RenewalOutcomeKind, Role
from storage.models import (
    Account,
    Draft,
    EngagementEvent,
    EscalationCard,
    OverrideRecord,
    RenewalOutcome,
    Signal,
    User,
)

IN_CHUNK = 900  # SQLite's bound-parameter limit, with room to spare
REPLY_KINDS = (EngagementKind.OUTREACH_REPLIED.value, EngagementKind.EMAIL_REPLIED.value)
# Audit cards (below the line) record the chance they were shown; until cards have that
# column every card was fired, with propensity 1.
CARD_PROPENSITY: Any = getattr(EscalationCard, "propensity", None)


def end_of(day: date) -> datetime:
    """The first moment after `day` (UTC): what is known on `day` happened before it."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def decided_in_window(since: date, as_of: date) -> ColumnElement[bool]:
    """Override-log rows of cycle days `since`..`as_of` (rows without one, by the day they were
    made), decided by the end of `as_of`."""
    start = datetime.combine(since, time.min, tzinfo=UTC)
    return and_(
        OverrideRecord.at < end_of(as_of),
        or_(
            OverrideRecord.cycle_day.between(since, as_of),
            and_(OverrideRecord.cycle_day.is_(None), OverrideRecord.at >= start),
        ),
    )


def load_decisions(session: Session, *, since: date, as_of: date) -> list[StoredDecision]:
    """Override-log rows from cards and touches of cycle days `since`..`as_of` (rows without a
    cycle day, such as vetoes, by the day they were made), decided by the end of `as_of`."""
    query = (
        select(OverrideRecord, Draft.kind, Draft.prompt_version, Account.segment)
        .outerjoin(EscalationCard, EscalationCard.id == OverrideRecord.card_id)
        .outerjoin(Draft, Draft.id == EscalationCard.draft_id)
        .outerjoin(Account, Account.account_id == OverrideRecord.account_id)
        .where(
            OverrideRecord.account_id.is_not(None),  # tuning steps are about the configuration
            OverrideRecord.action.not_in([action.value for action in NOT_DECISIONS]),  # climbs, snoozes
            decided_in_window(since, as_of),
        )
        .order_by(OverrideRecord.id)
    )
    rows = session.execute(query).all()
    replies = _replies(session, [row[0] for row in rows if row[0].action == Action.AUTO_SENT], as_of)
    return [_decision(record, kind, version, segment, replies) for record, kind, version, segment in rows]


def _decision(
    record: OverrideRecord,
    draft_kind: str | None,
    prompt_version: str | None,
    account_segment: str | None,
    replies: dict[str, list[datetime]],
) -> StoredDecision:
    replied_at = None
    account_id = record.account_id or ""
    if record.action == Action.AUTO_SENT:
        times = replies.get(account_id, [])
        at = bisect_right(times, record.at)
        replied_at = times[at] if at < len(times) else None
    return StoredDecision(
        id=record.id,
        account_id=account_id,
        trigger=record.trigger,
        action=record.action,
        decided_at=record.at,
        cycle_day=record.cycle_day,
        reason_code=record.reason_code,
        route=record.proposed_route,
        segment=record.segment or account_segment,
        config_version=record.config_version,
        fired_value=record.fired_value,
        threshold=record.threshold,
        margin=record.margin,
        co_firing=tuple(record.co_firing or ()),
        propensity=record.propensity or 1.0,
        seconds_to_decide=record.seconds_to_decide,
        edit_size=record.edit_size,
        actor=record.actor_slack_id,
        card_id=record.card_id,
        outbox_id=record.outbox_id,
        draft_kind=draft_kind,
        prompt_version=prompt_version,
        replied_at=replied_at,
    )


def _replies(session: Session, sends: Sequence[OverrideRecord], as_of: date) -> dict[str, list[datetime]]:
    """Each account's customer replies after its earliest automated send, by the end of `as_of`."""
    if not sends:
        return {}
    accounts = sorted({record.account_id for record in sends if record.account_id})
    first = min(record.at for record in sends)
    found: dict[str, list[datetime]] = defaultdict(list)
    for chunk in _chunks(accounts):
        query = select(EngagementEvent.account_id, EngagementEvent.at).where(
            EngagementEvent.account_id.in_(chunk),
            EngagementEvent.kind.in_(REPLY_KINDS),
            EngagementEvent.at > first,
            EngagementEvent.at < end_of(as_of),
        )
        for account_id, at in session.execute(query):
            found[account_id].append(at)
    return {account_id: sorted(times) for account_id, times in found.items()}


def load_cards(session: Session, *, since: date, as_of: date) -> list[CardRecord]:
    """Cards from cycle days `since`..`as_of` created by the end of `as_of`, decided or not."""
    propensity = CARD_PROPENSITY if CARD_PROPENSITY is not None else literal(1.0, Float)
    query = (
        select(EscalationCard, Signal.trigger, Signal.as_of, Account.segment, propensity)
        .join(Signal, Signal.id == EscalationCard.signal_id)
        .join(Account, Account.account_id == EscalationCard.account_id)
        .where(Signal.as_of.between(since, as_of), EscalationCard.created_at < end_of(as_of))
        .order_by(EscalationCard.id)
    )
    return [
        CardRecord(
            card_id=card.id,
            account_id=card.account_id,
            trigger=trigger,
            segment=segment,
            recipient=card.recipient_slack_id,
            cycle_day=cycle_day,
            state=card.state,
            propensity=1.0 if shown is None else float(shown),
        )
        for card, trigger, cycle_day, segment, shown in session.execute(query)
    ]


def load_outcomes(session: Session, *, since: date, as_of: date) -> list[KnownOutcome]:
    """Renewals that happened between `since` and `as_of`, with the account's segment."""
    query = (
        select(
            RenewalOutcome.account_id, Account.segment, RenewalOutcome.renewal_date, RenewalOutcome.outcome
        )
        .join(Account, Account.account_id == RenewalOutcome.account_id)
        .where(RenewalOutcome.renewal_date.between(since, as_of))
        .order_by(RenewalOutcome.renewal_date, RenewalOutcome.account_id)
    )
    return [
        KnownOutcome(account_id, segment, renewal_date, outcome == RenewalOutcomeKind.CHURNED)
        for account_id, segment, renewal_date, outcome in session.execute(query)
    ]


def csm_ids(session: Session) -> list[str]:
    """Every CSM, so one without cards counts as zero in cards per CSM."""
    return list(session.scalars(select(User.slack_id).where(User.role == Role.CSM).order_by(User.slack_id)))


def _chunks(values: Sequence[str]) -> list[Sequence[str]]:
    return [values[start : start + IN_CHUNK] for start in range(0, len(values), IN_CHUNK)]
