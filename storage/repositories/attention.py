"""Nothing waits unseen: the queries of the escalation ladder and of snoozes.

A fired card, posted and pending, climbs while nobody decides it (storage.enums.Rung: owner →
reminded → manager → channel); a snoozed card sleeps (`snooze_mode` set) and the ladder skips
it until it wakes. Every move is one guarded UPDATE on what the caller saw (the rung, the
ladder's clock, the snooze count), so two runs of the ladder, two clicks or a click racing the
scheduler move a card once; the caller acts only when its update won.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased

from storage.enums import CardKind, CardState, DeliveryKind, DeliveryState, Rung
from storage.models import Account, EscalationCard, OverrideRecord, Signal, SlackDelivery, User

LADDER_ROUTES = ("escalate", "human", "assist")
REMINDED_ROUTES = ("human", "assist")
SNOOZED_ACTION = "snoozed"  # scoring.learning.types.Action.SNOOZED


@dataclass(frozen=True)
class Waiting:
    """A card on the ladder: posted, pending, awake, not at its last rung."""

    card_id: int
    account_id: str
    account_name: str
    route: str
    rung: str
    ladder_since: datetime
    owner: str
    owner_timezone: str
    manager: str | None  # the owner's manager, when Tandem knows them


def waiting_cards(session: Session) -> list[Waiting]:
    c, s, a, u = EscalationCard, Signal, Account, User
    manager = aliased(User)
    rows = session.execute(
        select(
            c.id,
            c.account_id,
            a.name,
            s.route,
            c.rung,
            c.ladder_since,
            c.recipient_slack_id,
            u.timezone,
            manager.slack_id,
        )
        .join(s, s.id == c.signal_id)
        .join(a, a.account_id == c.account_id)
        .outerjoin(u, u.slack_id == c.recipient_slack_id)
        .outerjoin(manager, manager.slack_id == u.manager_slack_id)
        .where(
            c.state == CardState.PENDING.value,
            c.kind == CardKind.FIRED.value,
            c.message_ts.is_not(None),
            c.ladder_since.is_not(None),
            c.snooze_mode.is_(None),
            c.rung != Rung.CHANNEL.value,
            s.route.in_(LADDER_ROUTES),
        )
        .order_by(c.id)
    )
    return [
        Waiting(card_id, account_id, name, route, rung, since, owner, zone or "UTC", manager_id)
        for card_id, account_id, name, route, rung, since, owner, zone, manager_id in rows
        if since is not None
    ]


def climb(
    session: Session, *, card_id: int, from_rung: str, to_rung: Rung, ladder_since: datetime, now: datetime
) -> bool:
    """Move an awake pending card one rung up; True only for the caller whose update won."""
    c = EscalationCard
    result = session.execute(
        update(c)
        .where(
            c.id == card_id,
            c.state == CardState.PENDING.value,
            c.rung == from_rung,
            c.ladder_since == ladder_since,
            c.snooze_mode.is_(None),
        )
        .values(rung=to_rung.value, climbed_at=now, version=c.version + 1)
        .execution_options(synchronize_session=False)
    )
    return _won(session, result, card_id)


def remind(session: Session, *, recipient: str, posted_before: datetime, now: datetime) -> list[int]:
    """The recipient's human and assist cards still with them alone, posted before their digest:
    each moves to "reminded" (once, however many digests race). Returns the cards moved."""
    c, s = EscalationCard, Signal
    ids = list(
        session.scalars(
            select(c.id)
            .join(s, s.id == c.signal_id)
            .where(*_remindable(recipient), c.ladder_since < posted_before)
            .order_by(c.id)
        )
    )
    won = []
    for card_id in ids:
        result = session.execute(
            update(c)
            .where(
                c.id == card_id,
                c.rung == Rung.OWNER.value,
                c.state == CardState.PENDING.value,
                c.snooze_mode.is_(None),
            )
            .values(rung=Rung.REMINDED.value, climbed_at=now, version=c.version + 1)
            .execution_options(synchronize_session=False)
        )
        if _won(session, result, card_id):
            won.append(card_id)
    return won


def remindable_ids(session: Session, *, recipient: str, posted_before: datetime) -> set[int]:
    """The cards a digest built now would remind the recipient of (see `remind`)."""
    c, s = EscalationCard, Signal
    query = select(c.id).join(s, s.id == c.signal_id)
    return set(session.scalars(query.where(*_remindable(recipient), c.ladder_since < posted_before)))


def _remindable(recipient: str) -> list[Any]:
    c, s = EscalationCard, Signal
    return [
        c.recipient_slack_id == recipient,
        c.state == CardState.PENDING.value,
        c.kind == CardKind.FIRED.value,
        c.message_ts.is_not(None),
        c.snooze_mode.is_(None),
        c.rung == Rung.OWNER.value,
        s.route.in_(REMINDED_ROUTES),
    ]


def snooze(
    session: Session,
    *,
    card_id: int,
    mode: str,
    until: datetime | None,
    score: int | None,
    actor: str,
    now: datetime,
) -> bool:
    """Put a posted pending card to sleep; True only for the caller whose update won (a second
    click finds it asleep already)."""
    c = EscalationCard
    result = session.execute(
        update(c)
        .where(
            c.id == card_id,
            c.state == CardState.PENDING.value,
            c.snooze_mode.is_(None),
            c.message_ts.is_not(None),
        )
        .values(
            snooze_mode=mode, snoozed_until=until, snooze_score=score, snoozed_by=actor, version=c.version + 1
        )
        .execution_options(synchronize_session=False)
    )
    return _won(session, result, card_id)


@dataclass(frozen=True)
class Sleeping:
    card_id: int
    account_id: str
    snoozed_until: datetime | None
    snooze_score: int | None
    snooze_count: int
    trigger: str
    as_of: Any  # the day of the card's signal


def sleeping_cards(session: Session) -> list[Sleeping]:
    c, s = EscalationCard, Signal
    rows = session.execute(
        select(c.id, c.account_id, c.snoozed_until, c.snooze_score, c.snooze_count, s.trigger, s.as_of)
        .join(s, s.id == c.signal_id)
        .where(c.state == CardState.PENDING.value, c.snooze_mode.is_not(None))
        .order_by(c.id)
    )
    return [Sleeping(*row) for row in rows]


def wake(session: Session, *, card_id: int, snooze_count: int, now: datetime) -> bool:
    """Wake a sleeping card: back with its owner, the ladder's clock restarted; True only for
    the caller whose update won (its new `snooze_count` keys the card's re-post)."""
    c = EscalationCard
    result = session.execute(
        update(c)
        .where(
            c.id == card_id,
            c.state == CardState.PENDING.value,
            c.snooze_mode.is_not(None),
            c.snooze_count == snooze_count,
        )
        .values(
            snooze_mode=None,
            snoozed_until=None,
            snooze_score=None,
            snoozed_by=None,
            snooze_count=c.snooze_count + 1,
            rung=Rung.OWNER.value,
            ladder_since=now,
            climbed_at=None,
            version=c.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return _won(session, result, card_id)


def snoozed_at(session: Session, *, card_id: int) -> datetime | None:
    """When the card's current snooze began (its latest "snoozed" row in the override log)."""
    return session.scalar(
        select(func.max(OverrideRecord.at)).where(
            OverrideRecord.card_id == card_id, OverrideRecord.action == SNOOZED_ACTION
        )
    )


def triggers_on(session: Session, *, account_id: str, as_of: Any) -> set[str]:
    query = select(Signal.trigger).where(Signal.account_id == account_id, Signal.as_of == as_of)
    return set(session.scalars(query))


def triggers_fired_since(session: Session, *, account_id: str, since: datetime) -> set[str]:
    """The triggers recorded on the account after `since` (a hold kept quiet included: it fired)."""
    query = select(Signal.trigger).where(Signal.account_id == account_id, Signal.fired_at > since)
    return set(session.scalars(query))


def sleeping_triggers(session: Session, *, account_ids: list[str]) -> set[tuple[str, str]]:
    """(account, trigger) of the sleeping cards among these accounts."""
    c, s = EscalationCard, Signal
    found: set[tuple[str, str]] = set()
    for start in range(0, len(account_ids), 900):
        rows = session.execute(
            select(c.account_id, s.trigger)
            .join(s, s.id == c.signal_id)
            .where(
                c.account_id.in_(account_ids[start : start + 900]),
                c.state == CardState.PENDING.value,
                c.snooze_mode.is_not(None),
            )
        )
        found.update((account_id, trigger) for account_id, trigger in rows)
    return found


@dataclass(frozen=True)
class Copy:
    """One message a card is shown in: the owner's first post, or a later copy."""

    channel: str
    ts: str
    note: str  # what the copy says above the card ("Snoozed card coming back: …"), or ""


def copies(session: Session, *, card_id: int) -> list[Copy]:
    """Every message the card is in, first post first."""
    card = session.get(EscalationCard, card_id)
    found: list[Copy] = []
    if card is not None and card.channel_id and card.message_ts:
        found.append(Copy(card.channel_id, card.message_ts, ""))
    d = SlackDelivery
    rows = session.execute(
        select(d.channel_id, d.message_ts, d.text)
        .where(
            d.card_id == card_id, d.kind == DeliveryKind.CARD_COPY.value, d.state == DeliveryState.SENT.value
        )
        .order_by(d.id)
    )
    for channel, ts, note in rows:
        if channel and ts and all((channel, ts) != (c.channel, c.ts) for c in found):
            found.append(Copy(channel, ts, note or ""))
    return found


def _won(session: Session, result: Any, card_id: int) -> bool:
    won = bool(result.rowcount == 1)
    if won:
        card = session.get(EscalationCard, card_id)
        if card is not None:
            session.refresh(card)
    return won
