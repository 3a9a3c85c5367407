"""What route and watched-phrase proposals read: decisions in their cells, and ticket texts.

As in `storage.repositories.learning`, everything is as known on `as_of` (decided, opened or
renewed by the end of that day) and decisions are dated by the cycle day their card or touch
came from. Rows become plain values (`RouteDecision`, strings); the proposers never touch a
session.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from scoring.context import events_in_view
from scoring.learning.replay_routes import PhraseTicket
from scoring.learning.route_proposals import RouteDecision
from scoring.learning.types import Action
from scoring.types import ContextEvent, ContextKind
from storage.enums import RenewalOutcomeKind
from storage.models import Account, OverrideRecord, RenewalOutcome, Ticket
from storage.models import ContextEvent as ContextRow
from storage.repositories.learning import decided_in_window, end_of

IN_CHUNK = 900  # SQLite's bound-parameter limit, with room to spare
ROUTE_ACTIONS = (
    Action.APPROVED.value,
    Action.EDITED.value,
    Action.TAKEN_OVER.value,
    Action.DISMISSED.value,
    Action.CANCELLED.value,
    Action.AUTO_SENT.value,
)
ALL_KINDS = frozenset(ContextKind)
KNOWN_KINDS = frozenset(kind.value for kind in ContextKind)


def load_route_decisions(session: Session, *, since: date, as_of: date) -> list[RouteDecision]:
    """Card and automated-touch decisions of cycle days `since`..`as_of` decided by the end of
    `as_of`, each with its account's segment (as stored at decision time, else the account's),
    industry (lowercase) and the context kinds in view on its cycle day."""
    query = (
        select(OverrideRecord, Account.segment, Account.industry)
        .join(Account, Account.account_id == OverrideRecord.account_id)
        .where(
            OverrideRecord.action.in_(ROUTE_ACTIONS),
            decided_in_window(since, as_of),
        )
        .order_by(OverrideRecord.id)
    )
    rows = session.execute(query).all()
    # The inner join on accounts leaves out the tuning steps (no account).
    context = _context(session, sorted({record.account_id or "" for record, _, _ in rows}), as_of)
    decisions = []
    for record, account_segment, industry in rows:
        day = record.cycle_day or record.at.date()
        in_view = events_in_view(context.get(record.account_id or "", ()), day, ALL_KINDS)
        decisions.append(
            RouteDecision(
                trigger=record.trigger,
                segment=record.segment or account_segment,
                industry=industry.strip().lower() if industry and industry.strip() else None,
                contexts=tuple(sorted({event.kind.value for event in in_view})),
                route=record.proposed_route,
                action=record.action,
                edit_size=record.edit_size,
                day=day,
            )
        )
    return decisions


def _context(session: Session, accounts: Sequence[str], as_of: date) -> dict[str, list[ContextEvent]]:
    """Each account's context events recorded as starting by the end of `as_of`."""
    found: dict[str, list[ContextEvent]] = defaultdict(list)
    for chunk in _chunks(accounts):
        query = select(
            ContextRow.account_id, ContextRow.kind, ContextRow.starts_at, ContextRow.ends_at
        ).where(ContextRow.account_id.in_(chunk), ContextRow.starts_at < end_of(as_of))
        for account_id, kind, starts, ends in session.execute(query):
            if kind in KNOWN_KINDS:
                found[account_id].append(ContextEvent(ContextKind(kind), starts, ends))
    return found


def load_phrase_texts(
    session: Session, *, since: date, as_of: date, lead_days: int = 30
) -> tuple[list[str], list[str]]:
    """(positive, baseline) ticket texts (subject and body) of tickets opened `since`..`as_of`.

    Positive: opened in the `lead_days` before (or on the day of) a take-over of a card of its
    account, or a churned renewal of its account, by `as_of`. Baseline: every other ticket
    opened in the window."""
    events = _events(session, since=since, as_of=as_of)
    query = (
        select(Ticket.account_id, Ticket.opened_at, Ticket.subject, Ticket.body)
        .where(
            Ticket.opened_at >= datetime.combine(since, time.min, tzinfo=UTC),
            Ticket.opened_at < end_of(as_of),
        )
        .order_by(Ticket.opened_at, Ticket.ticket_id)
    )
    positive: list[str] = []
    baseline: list[str] = []
    for account_id, opened_at, subject, body in session.execute(query):
        text = f"{subject}\n{body}"
        days = events.get(account_id, [])
        opened = opened_at.date()
        at = bisect_left(days, opened)  # the first event on or after the day it was opened
        ahead = at < len(days) and days[at] <= opened + timedelta(days=lead_days)
        (positive if ahead else baseline).append(text)
    return positive, baseline


def _events(session: Session, *, since: date, as_of: date) -> dict[str, list[date]]:
    """Each account's take-over and churn days between `since` and `as_of`, sorted."""
    start = datetime.combine(since, time.min, tzinfo=UTC)
    found: dict[str, set[date]] = defaultdict(set)
    take_overs = select(OverrideRecord.account_id, OverrideRecord.at).where(
        OverrideRecord.action == Action.TAKEN_OVER.value,
        OverrideRecord.at >= start,
        OverrideRecord.at < end_of(as_of),
    )
    for account_id, at in session.execute(take_overs):
        if account_id is not None:
            found[account_id].add(at.date())
    churns = select(RenewalOutcome.account_id, RenewalOutcome.renewal_date).where(
        RenewalOutcome.outcome == RenewalOutcomeKind.CHURNED.value,
        RenewalOutcome.renewal_date.between(since, as_of),
    )
    for account_id, renewal_date in session.execute(churns):
        found[account_id].add(renewal_date)
    return {account_id: sorted(days) for account_id, days in found.items()}


def _chunks(values: Sequence[str]) -> list[Sequence[str]]:
    return [values[start : start + IN_CHUNK] for start in range(0, len(values), IN_CHUNK)]


def load_phrase_tickets(session: Session, *, phrase: str, since: date, as_of: date) -> list[PhraseTicket]:
    """Tickets opened `since`..`as_of` whose subject or body carries `phrase` (any case)."""
    pattern = f"%{phrase.lower()}%"
    query = (
        select(Ticket.account_id, Ticket.opened_at, Ticket.subject, Ticket.body)
        .where(
            Ticket.opened_at >= datetime.combine(since, time.min, tzinfo=UTC),
            Ticket.opened_at < end_of(as_of),
            or_(func.lower(Ticket.subject).like(pattern), func.lower(Ticket.body).like(pattern)),
        )
        .order_by(Ticket.opened_at, Ticket.ticket_id)
    )
    return [
        PhraseTicket(account_id, opened_at.date(), f"{subject}\n{body}".lower())
        for account_id, opened_at, subject, body in session.execute(query)
    ]


def take_over_and_churn_days(session: Session, *, since: date, as_of: date) -> dict[str, list[date]]:
    """Each account's take-over and churn days between `since` and `as_of`, sorted."""
    return _events(session, since=since, as_of=as_of)
