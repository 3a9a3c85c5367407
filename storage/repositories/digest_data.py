"""The digest's bulk reads (bot.workflows.digest_views): a handful of queries for every person's
digest at once, whatever the book's size."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from storage.enums import CardDelivery, CardState, OutboxState
from storage.models import Account, EscalationCard, HealthSnapshot, OutboxMessage, Signal

IN_CHUNK = 900  # SQLite's bound-parameter limit, with room to spare


def latest_snapshot_day(session: Session) -> date | None:
    """The day of the newest stored health snapshots (the digest's "as of")."""
    return session.scalar(select(func.max(HealthSnapshot.as_of)))


def accounts_of(session: Session, *, owner_ids: Sequence[str]) -> list[Account]:
    """Every account these people own."""
    found: list[Account] = []
    for start in range(0, len(owner_ids), IN_CHUNK):
        chunk = list(owner_ids[start : start + IN_CHUNK])
        found.extend(session.scalars(select(Account).where(Account.owner_slack_id.in_(chunk))))
    return found


def pending_cards_with_context(
    session: Session, *, owner_ids: Sequence[str], in_dm: bool
) -> list[tuple[EscalationCard, str, float, str, str]]:
    """(card, account name, ARR, trigger, route) of the pending cards addressed to these people,
    oldest first: those meant for their DM (`in_dm`), or those over a day's card budget still
    waiting in the digest to be opened."""
    where = (
        EscalationCard.delivery == CardDelivery.DM.value
        if in_dm
        else and_(EscalationCard.delivery == CardDelivery.DIGEST.value, EscalationCard.message_ts.is_(None))
    )
    rows: list[tuple[EscalationCard, str, float, str, str]] = []
    for start in range(0, len(owner_ids), IN_CHUNK):
        query = (
            select(EscalationCard, Account.name, Account.arr, Signal.trigger, Signal.route)
            .join(Account, Account.account_id == EscalationCard.account_id)
            .join(Signal, Signal.id == EscalationCard.signal_id)
            .where(
                EscalationCard.state == CardState.PENDING,
                EscalationCard.recipient_slack_id.in_(list(owner_ids[start : start + IN_CHUNK])),
                where,
            )
        )
        rows.extend(
            (card, name, arr, trigger, route) for card, name, arr, trigger, route in session.execute(query)
        )
    return sorted(rows, key=lambda row: (row[0].created_at, row[0].id))


def queued_automated_with_names(
    session: Session, *, account_ids: Sequence[str]
) -> list[tuple[OutboxMessage, str]]:
    """Automated touches still queued on these accounts, with the account's name, oldest first."""
    rows: list[tuple[OutboxMessage, str]] = []
    for start in range(0, len(account_ids), IN_CHUNK):
        query = (
            select(OutboxMessage, Account.name)
            .join(Account, Account.account_id == OutboxMessage.account_id)
            .where(
                OutboxMessage.state == OutboxState.QUEUED,
                OutboxMessage.card_id.is_(None),
                OutboxMessage.account_id.in_(list(account_ids[start : start + IN_CHUNK])),
            )
        )
        rows.extend((message, name) for message, name in session.execute(query))
    return sorted(rows, key=lambda row: (row[0].created_at, row[0].id))


def held_or_crisis_signals(session: Session, *, as_of: date) -> list[tuple[Signal, str]]:
    """(signal, account name) of the day's signals that were held, or decided in a crisis."""
    crisis = Signal.details["crisis_key"].as_string()  # crisis decisions: a card, or kept quiet
    query = (
        select(Signal, Account.name)
        .join(Account, Account.account_id == Signal.account_id)
        .where(Signal.as_of == as_of, or_(Signal.route == "hold", crisis.is_not(None)))
        .order_by(Signal.account_id, Signal.id)
    )
    return [(signal, name) for signal, name in session.execute(query)]
