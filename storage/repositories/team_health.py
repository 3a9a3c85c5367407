"""The queries behind `/health` and the App Home's per-role pictures: a scope's accounts, its
cards waiting and decided, each CSM's load, the copies of a card in Slack, the accounts a
person keeps in human hands.

A scope is a set of owners (the CSMs whose accounts are in view) or None, the whole book.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, func, or_, select, true
from sqlalchemy.orm import Session

from storage.enums import CardState, DeliveryState
from storage.models import Account, EscalationCard, HealthSnapshot, Signal, SlackDelivery, User

DECIDED = (CardState.APPROVED, CardState.EDITED, CardState.TAKEN_OVER, CardState.DISMISSED)


@dataclass(frozen=True)
class WaitingCard:
    """A pending card with what a reader needs to place it."""

    card: EscalationCard
    account_name: str
    owner_slack_id: str
    trigger: str | None  # None: an audit card
    route: str | None


def _owned_by(owners: Collection[str] | None) -> ColumnElement[bool]:
    return true() if owners is None else Account.owner_slack_id.in_(sorted(owners))


def reports_of(session: Session, *, manager_slack_id: str) -> list[User]:
    """The people who name `manager_slack_id` as their manager, by name."""
    return list(
        session.scalars(select(User).where(User.manager_slack_id == manager_slack_id).order_by(User.name))
    )


def owns_accounts(session: Session, *, slack_id: str) -> bool:
    found = session.scalar(select(Account.account_id).where(Account.owner_slack_id == slack_id).limit(1))
    return found is not None


def accounts_in(session: Session, *, owners: Collection[str] | None) -> list[Account]:
    return list(session.scalars(select(Account).where(_owned_by(owners)).order_by(Account.name)))


def account_owners(session: Session) -> list[User]:
    """Everyone who owns at least one account, by name (the whole book's CSMs)."""
    owning = select(Account.owner_slack_id).distinct()
    return list(session.scalars(select(User).where(User.slack_id.in_(owning)).order_by(User.name)))


def latest_snapshot_day(session: Session) -> date | None:
    """The newest scoring day (the bands and movers are read as of it)."""
    return session.scalar(select(func.max(HealthSnapshot.as_of)))


def users_named(session: Session, *, name: str) -> list[User]:
    """Users whose name is `name`, ignoring case (a `/health @name` Slack did not turn into an id)."""
    return list(session.scalars(select(User).where(func.lower(User.name) == name.lower()).limit(2)))


def _waiting_query(owners: Collection[str] | None) -> Select[EscalationCard, str, str, str, str]:
    return (
        select(EscalationCard, Account.name, Account.owner_slack_id, Signal.trigger, Signal.route)
        .join(Account, Account.account_id == EscalationCard.account_id)
        .outerjoin(Signal, Signal.id == EscalationCard.signal_id)
        .where(EscalationCard.state == CardState.PENDING, _owned_by(owners))
        .order_by(EscalationCard.created_at, EscalationCard.id)
    )


def waiting_cards(session: Session, *, owners: Collection[str] | None) -> list[WaitingCard]:
    """Pending cards on the scope's accounts, oldest first (snoozed ones too: `snooze_mode` set)."""
    return _rows(session, _waiting_query(owners))


def waiting_for(session: Session, *, recipient: str) -> list[WaitingCard]:
    """Pending cards addressed to `recipient`, oldest first."""
    query = _waiting_query(None).where(EscalationCard.recipient_slack_id == recipient)
    return _rows(session, query)


def climbed_to(session: Session, *, manager_slack_id: str) -> list[WaitingCard]:
    """Pending, awake cards that climbed past their owner on the accounts of `manager_slack_id`'s
    team (rung manager or channel), oldest climb first."""
    team = select(User.slack_id).where(User.manager_slack_id == manager_slack_id)
    query = (
        _waiting_query(None)
        .where(
            EscalationCard.rung.in_(("manager", "channel")),
            EscalationCard.snooze_mode.is_(None),
            Account.owner_slack_id.in_(team),
        )
        .order_by(None)
        .order_by(EscalationCard.climbed_at, EscalationCard.created_at, EscalationCard.id)
    )
    return _rows(session, query)


def _rows(session: Session, query: Select[EscalationCard, str, str, str, str]) -> list[WaitingCard]:
    return [
        WaitingCard(card, name, owner, trigger, route)
        for card, name, owner, trigger, route in session.execute(query)
    ]


def decided_since(session: Session, *, owners: Collection[str] | None, since: datetime) -> Counter[str]:
    """Cards on the scope's accounts decided at `since` or later, counted by their decided state."""
    rows = session.execute(
        select(EscalationCard.state, func.count(EscalationCard.id))
        .join(Account, Account.account_id == EscalationCard.account_id)
        .where(
            EscalationCard.state.in_([state.value for state in DECIDED]),
            EscalationCard.decided_at >= since,
            _owned_by(owners),
        )
        .group_by(EscalationCard.state)
    )
    return Counter({str(state): int(count) for state, count in rows})


def card_copies(session: Session, *, card_ids: Collection[int]) -> dict[int, list[SlackDelivery]]:
    """Every posted copy of these cards in Slack (a DM, the escalation channel), oldest first."""
    if not card_ids:
        return {}
    rows = session.scalars(
        select(SlackDelivery)
        .where(
            SlackDelivery.card_id.in_(sorted(card_ids)),
            SlackDelivery.state == DeliveryState.SENT.value,
            SlackDelivery.message_ts.is_not(None),
        )
        .order_by(SlackDelivery.sent_at, SlackDelivery.id)
    )
    copies: dict[int, list[SlackDelivery]] = {}
    for row in rows:
        if row.card_id is not None:
            copies.setdefault(row.card_id, []).append(row)
    return copies


def in_human_hands(session: Session, *, owners: Collection[str] | None) -> list[Account]:
    """The scope's accounts kept with a person: vetoed (always human) or taken over, by name."""
    query = select(Account).where(
        _owned_by(owners), or_(Account.always_human.is_(True), Account.human_handled_by.is_not(None))
    )
    return list(session.scalars(query.order_by(Account.name)))
