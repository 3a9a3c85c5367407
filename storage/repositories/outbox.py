"""The outbox: outreach queued once, sent once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, case, or_, select, update
from sqlalchemy.orm import Session

from storage.enums import OutboxState
from storage.models import OutboxMessage
from storage.repositories.bulk import insert_many

OUTBOX = cast(Table, OutboxMessage.__table__)


def enqueue_many(session: Session, *, rows: Sequence[dict[str, Any]], now: datetime) -> None:
    """Queue many messages at once; a row whose idempotency key is already queued is skipped.
    Each row: idempotency_key, account_id, card_id, signal_id, channel, recipient, subject,
    body, send_after."""
    full = [{"state": OutboxState.QUEUED.value, "created_at": now, "attempts": 0} | dict(row) for row in rows]
    insert_many(session, OUTBOX, ("idempotency_key",), full)


def enqueue(
    session: Session,
    *,
    idempotency_key: str,
    account_id: str,
    card_id: int | None,
    channel: str,
    recipient: str,
    subject: str,
    body: str,
    send_after: datetime,
    now: datetime,
    signal_id: int | None = None,
) -> OutboxMessage:
    """Queue a message; a second call with the same key returns the first message unchanged."""
    existing = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == idempotency_key))
    if existing is not None:
        return existing
    message = OutboxMessage(
        idempotency_key=idempotency_key,
        account_id=account_id,
        card_id=card_id,
        signal_id=signal_id,
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        state=OutboxState.QUEUED,
        created_at=now,
        send_after=send_after,
        attempts=0,
    )
    session.add(message)
    session.flush()
    return message


def due_messages(
    session: Session, *, now: datetime, stale_before: datetime | None = None, limit: int = 100
) -> list[OutboxMessage]:
    """Queued messages whose time has come, and messages stuck in `sending` since before
    `stale_before` (a worker died mid-send). An automated touch (no card) is due only once its
    CSM has been shown it with Cancel (`visible_since`); an approved card's send needs no wait."""
    o = OutboxMessage
    queued = and_(
        o.state == OutboxState.QUEUED,
        o.send_after <= now,
        or_(o.card_id.is_not(None), o.visible_since.is_not(None)),
    )
    stuck = and_(o.state == OutboxState.SENDING, o.claimed_at < stale_before) if stale_before else None
    where = queued if stuck is None else or_(queued, stuck)
    return list(session.scalars(select(o).where(where).order_by(o.id).limit(limit)))


def mark_shown(session: Session, *, message_ids: Sequence[int], at: datetime, sendable: datetime) -> None:
    """A digest showed these automated touches with Cancel at `at`: each may go out at
    `sendable` (or later, if it was queued to wait longer). A touch shown before keeps its time."""
    if not message_ids:
        return
    o = OutboxMessage
    session.execute(
        update(o)
        .where(o.id.in_(list(message_ids)), o.state == OutboxState.QUEUED, o.visible_since.is_(None))
        .values(visible_since=at, send_after=case((o.send_after < sendable, sendable), else_=o.send_after))
        .execution_options(synchronize_session=False)
    )


def claim_for_sending(
    session: Session, *, message_id: int, attempts: int, now: datetime, stale_before: datetime | None = None
) -> bool:
    """Guarded claim: only the caller that moves the row to sending may send.

    Two workers reading the same queued row both try; one update matches, the other sends
    nothing. A cancel after the claim finds the row no longer queued and changes nothing. A row
    stuck in `sending` since before `stale_before` may be claimed again: it is then marked a
    possible duplicate (the dead worker may have sent it)."""
    o = OutboxMessage
    claimable = o.state == OutboxState.QUEUED
    if stale_before is not None:
        claimable = or_(claimable, and_(o.state == OutboxState.SENDING, o.claimed_at < stale_before))
    result = session.execute(
        update(o)
        .where(o.id == message_id, o.attempts == attempts, claimable)
        .values(
            attempts=attempts + 1,
            state=OutboxState.SENDING,
            claimed_at=now,
            possible_duplicate=or_(o.possible_duplicate, o.state == OutboxState.SENDING),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def mark_sent(session: Session, *, message_id: int, now: datetime) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(state=OutboxState.SENT, sent_at=now, last_error=None)
    )


def mark_failed(
    session: Session, *, message_id: int, error: str, give_up: bool, retry_at: datetime | None = None
) -> None:
    """Back in the queue for another attempt at `retry_at`, unless it has had its last one."""
    values: dict[str, object] = {
        "last_error": error[:2000],
        "state": OutboxState.FAILED if give_up else OutboxState.QUEUED,
    }
    if retry_at is not None and not give_up:
        values["send_after"] = retry_at
    session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))


def failed_not_told(session: Session, *, limit: int = 100) -> list[OutboxMessage]:
    """Messages that failed for good and ops has not heard of yet."""
    o = OutboxMessage
    query = select(o).where(o.state == OutboxState.FAILED, o.ops_told_at.is_(None)).order_by(o.id)
    return list(session.scalars(query.limit(limit)))


def mark_told(session: Session, *, message_id: int, now: datetime) -> bool:
    """True for the one caller that gets to tell ops about this failure."""
    o = OutboxMessage
    result = session.execute(
        update(o).where(o.id == message_id, o.ops_told_at.is_(None)).values(ops_told_at=now)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    return result.rowcount == 1  # type: ignore[attr-defined]


def requeue(session: Session, *, message_id: int, now: datetime) -> bool:
    """Retry a message that failed for good: a fresh round of attempts (guarded: once per click)."""
    o = OutboxMessage
    result = session.execute(
        update(o)
        .where(o.id == message_id, o.state == OutboxState.FAILED)
        .values(state=OutboxState.QUEUED, attempts=0, send_after=now, ops_told_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def failed_on(session: Session, *, account_ids: Sequence[str]) -> list[OutboxMessage]:
    """Messages to these accounts that failed for good (a CSM's digest lists them with Retry)."""
    if not account_ids:
        return []
    o = OutboxMessage
    query = select(o).where(o.state == OutboxState.FAILED, o.account_id.in_(list(account_ids))).order_by(o.id)
    return list(session.scalars(query))


def for_signals(session: Session, *, signal_ids: Sequence[int]) -> list[OutboxMessage]:
    """The automated touches these signals made, oldest first."""
    if not signal_ids:
        return []
    query = (
        select(OutboxMessage).where(OutboxMessage.signal_id.in_(list(signal_ids))).order_by(OutboxMessage.id)
    )
    return list(session.scalars(query))


def queued_automated(session: Session, *, account_id: str) -> list[OutboxMessage]:
    """The account's automated touches still waiting to send (a card's approved send excluded)."""
    o = OutboxMessage
    query = select(o).where(o.account_id == account_id, o.state == OutboxState.QUEUED, o.card_id.is_(None))
    return list(session.scalars(query.order_by(o.id)))


def possible_duplicates(session: Session, *, limit: int = 20) -> list[OutboxMessage]:
    """Messages resent after a send that may already have gone out (App Home's ops view)."""
    o = OutboxMessage
    query = select(o).where(o.possible_duplicate.is_(True)).order_by(o.id.desc()).limit(limit)
    return list(session.scalars(query))


def cancel(session: Session, *, message_id: int) -> bool:
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.state == OutboxState.QUEUED)
        .values(state=OutboxState.CANCELLED)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]
