"""Escalation cards and their state machine: pending → approved / edited / taken_over / dismissed
(an audit card: pending → worth_a_look / not_needed).

Every transition is one guarded UPDATE on `state = 'pending'`: a double click, a Slack retry
or two people clicking at once change the card once, and the losers learn who won.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from storage.enums import CardDelivery, CardKind, CardState
from storage.models import EscalationCard, Signal
from storage.repositories.bulk import insert_many

CARDS = cast(Table, EscalationCard.__table__)
IN_CHUNK = 900
SYSTEM_ACTOR = "tandem"

AUDIT_ANSWERS = frozenset({CardState.WORTH_A_LOOK, CardState.NOT_NEEDED})
DECIDED_STATES = frozenset(CardState) - {CardState.PENDING} - AUDIT_ANSWERS


def create_cards(session: Session, *, rows: Sequence[dict[str, Any]], now: datetime) -> None:
    """Many new cards at once (the cycle's bulk path); a signal that already has its card is
    skipped. Each row: signal_id, account_id, draft_id, recipient_slack_id, delivery.

    A pending card of the same account that was never posted (it waited in a digest and
    nobody opened it) is superseded: the newer card tells today's story."""
    if not rows:
        return
    accounts = sorted({row["account_id"] for row in rows})
    # A run racing this one (or an earlier run of the day) may have made these very cards:
    # only older cards give way, never the one for a signal being carded now.
    carding = [row["signal_id"] for row in rows]
    for start in range(0, len(accounts), IN_CHUNK):
        session.execute(
            update(EscalationCard)
            .where(
                EscalationCard.account_id.in_(accounts[start : start + IN_CHUNK]),
                EscalationCard.state == CardState.PENDING,
                EscalationCard.message_ts.is_(None),
                EscalationCard.signal_id.not_in(carding),
            )
            .values(state=CardState.SUPERSEDED, decided_at=now, decided_by=SYSTEM_ACTOR)
            .execution_options(synchronize_session=False)
        )
    full = [
        {"state": CardState.PENDING.value, "version": 1, "created_at": now, "delivery": CardDelivery.DM.value}
        | dict(row)
        for row in rows
    ]
    insert_many(session, CARDS, ("signal_id",), full)


def create_audit_cards(session: Session, *, rows: Sequence[dict[str, Any]], now: datetime) -> None:
    """Audit cards (no signal, no draft), for the DM. Each row: account_id, recipient_slack_id,
    propensity, audit_key, audit. A key already taken is skipped: one per CSM per week, even
    when two runs race or a run of the day is repeated."""
    full = [
        {"state": CardState.PENDING.value, "version": 1, "created_at": now, "delivery": CardDelivery.DM.value,
         "kind": CardKind.AUDIT.value, "signal_id": None, "draft_id": None} | dict(row)
        for row in rows
    ]  # fmt: skip
    if full:
        insert_many(session, CARDS, ("audit_key",), full)


def audited_recipients(session: Session, *, week: str) -> set[str]:
    """Who already has an audit card for this ISO week ("2026-W10"), in any state."""
    query = select(EscalationCard.recipient_slack_id).where(
        EscalationCard.kind == CardKind.AUDIT.value, EscalationCard.audit_key.like(f"%:{week}")
    )
    return set(session.scalars(query))


def accounts_with_pending_cards(session: Session, *, account_ids: Sequence[str]) -> set[str]:
    """The accounts among these with a card of any kind still pending (posted or not)."""
    found: set[str] = set()
    for start in range(0, len(account_ids), IN_CHUNK):
        query = select(EscalationCard.account_id).where(
            EscalationCard.account_id.in_(account_ids[start : start + IN_CHUNK]),
            EscalationCard.state == CardState.PENDING,
        )
        found.update(session.scalars(query))
    return found


def answer_audit(session: Session, *, card_id: int, answer: CardState, actor: str, now: datetime) -> bool:
    """Answer a pending audit card; True only for the caller whose update won."""
    if answer not in AUDIT_ANSWERS:
        raise ValueError(f"an audit card is answered {sorted(AUDIT_ANSWERS)}, not {answer!r}")
    result = session.execute(
        update(EscalationCard)
        .where(
            EscalationCard.id == card_id,
            EscalationCard.state == CardState.PENDING,
            EscalationCard.kind == CardKind.AUDIT.value,
        )
        .values(state=answer, version=EscalationCard.version + 1, decided_at=now, decided_by=actor)
        .execution_options(synchronize_session=False)
    )
    won = result.rowcount == 1  # type: ignore[attr-defined]
    if won:
        card = session.get(EscalationCard, card_id)
        if card is not None:
            session.refresh(card)
    return won


def create_card(
    session: Session,
    *,
    signal_id: int,
    account_id: str,
    draft_id: int | None,
    recipient_slack_id: str,
    now: datetime,
) -> EscalationCard:
    """One card per signal: a second call returns the first card."""
    existing = session.scalar(select(EscalationCard).where(EscalationCard.signal_id == signal_id))
    if existing is not None:
        return existing
    card = EscalationCard(
        signal_id=signal_id,
        account_id=account_id,
        draft_id=draft_id,
        state=CardState.PENDING,
        version=1,
        recipient_slack_id=recipient_slack_id,
        created_at=now,
    )
    session.add(card)
    session.flush()
    return card


def cards_for_signals(session: Session, *, signal_ids: Sequence[int]) -> list[EscalationCard]:
    """The cards these signals made, oldest first."""
    if not signal_ids:
        return []
    query = select(EscalationCard).where(EscalationCard.signal_id.in_(list(signal_ids)))
    return list(session.scalars(query.order_by(EscalationCard.id)))


def unposted_dm_cards(session: Session, *, card_id: int | None = None) -> list[tuple[int, str]]:
    """(card id, recipient) of the pending cards owed to a DM and not in Slack yet (or just one)."""
    c = EscalationCard
    query = select(c.id, c.recipient_slack_id).where(
        c.state == CardState.PENDING, c.message_ts.is_(None), c.delivery == CardDelivery.DM.value
    )
    if card_id is not None:
        query = query.where(c.id == card_id)
    return [(card_id, recipient) for card_id, recipient in session.execute(query.order_by(c.id))]


def get_card(session: Session, *, card_id: int) -> EscalationCard | None:
    return session.get(EscalationCard, card_id)


def mark_posted(session: Session, *, card_id: int, channel_id: str, message_ts: str, now: datetime) -> None:
    """Record the card's Slack message (set once: the delivery that posted it settles it); the
    escalation ladder's clock starts now (bot.workflows.ladder)."""
    session.execute(
        update(EscalationCard)
        .where(EscalationCard.id == card_id, EscalationCard.message_ts.is_(None))
        .values(channel_id=channel_id, message_ts=message_ts, posted_at=now, ladder_since=now)
        .execution_options(synchronize_session=False)
    )


def mark_posted_many(session: Session, *, posted: Sequence[tuple[int, str, str]], now: datetime) -> None:
    """`mark_posted` for many cards as one executemany: (card id, channel, ts) each."""
    if not posted:
        return
    table = CARDS
    statement = (
        update(table)
        .where(table.c.id == bindparam("card_id_"), table.c.message_ts.is_(None))
        .values(
            channel_id=bindparam("channel_"), message_ts=bindparam("ts_"), posted_at=now, ladder_since=now
        )
    )
    session.connection().execute(
        statement, [{"card_id_": card_id, "channel_": channel, "ts_": ts} for card_id, channel, ts in posted]
    )


def route_of(session: Session, *, card_id: int) -> str | None:
    """The route of the signal behind a card."""
    return session.scalar(
        select(Signal.route)
        .join(EscalationCard, EscalationCard.signal_id == Signal.id)
        .where(EscalationCard.id == card_id)
    )


def move_to_dm(session: Session, *, card_id: int) -> bool:
    """A card that waited in the digest is opened: True for the one caller that moved it."""
    result = session.execute(
        update(EscalationCard)
        .where(
            EscalationCard.id == card_id,
            EscalationCard.state == CardState.PENDING,
            EscalationCard.delivery == CardDelivery.DIGEST.value,
            EscalationCard.message_ts.is_(None),
        )
        .values(delivery=CardDelivery.DM.value)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def pending_cards_for(session: Session, *, slack_id: str) -> list[EscalationCard]:
    return list(
        session.scalars(
            select(EscalationCard)
            .where(EscalationCard.recipient_slack_id == slack_id, EscalationCard.state == CardState.PENDING)
            .order_by(EscalationCard.created_at)
        )
    )


def decide(
    session: Session,
    *,
    card_id: int,
    new_state: CardState,
    actor: str,
    now: datetime,
    final_text: str | None = None,
    dismiss_reason: str | None = None,
) -> bool:
    """Move a pending card to `new_state`; True only for the caller whose update won."""
    if new_state not in DECIDED_STATES:
        raise ValueError(f"a card can only be decided into {sorted(DECIDED_STATES)}, not {new_state!r}")
    result = session.execute(
        update(EscalationCard)
        .where(EscalationCard.id == card_id, EscalationCard.state == CardState.PENDING)
        .values(
            state=new_state,
            version=EscalationCard.version + 1,
            decided_at=now,
            decided_by=actor,
            final_text=final_text,
            dismiss_reason=dismiss_reason,
        )
        .execution_options(synchronize_session=False)
    )
    won = result.rowcount == 1  # type: ignore[attr-defined]
    if won:
        card = session.get(EscalationCard, card_id)
        if card is not None:
            session.refresh(card)
    return won


def dm_cards_created_on(session: Session, *, start: datetime, end: datetime) -> dict[str, int]:
    """Cards created in [start, end) for the DM, per recipient (what today's budget has spent).
    Audit cards are exempt from the budget and spend none of it; so are snoozed cards (asleep,
    they ask nothing of anyone until they wake)."""
    rows = session.execute(
        select(EscalationCard.recipient_slack_id, func.count(EscalationCard.id))
        .where(
            EscalationCard.created_at >= start,
            EscalationCard.created_at < end,
            EscalationCard.delivery == CardDelivery.DM.value,
            EscalationCard.kind == CardKind.FIRED.value,
            EscalationCard.snooze_mode.is_(None),
        )
        .group_by(EscalationCard.recipient_slack_id)
    )
    return {recipient: int(count) for recipient, count in rows}
