"""The outbox: outreach queued once, sent once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, case, or_, select, update
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


def due_messages(session: Session, *, now: datetime, limit: int = 100) -> list[OutboxMessage]:
    """Queued messages whose time has come. An automated touch (no card) is due only once its
    CSM has been shown it with Cancel (`visible_since`); an approved card's send needs no wait."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.state == OutboxState.QUEUED,
                OutboxMessage.send_after <= now,
                or_(OutboxMessage.card_id.is_not(None), OutboxMessage.visible_since.is_not(None)),
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )


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


def claim_for_sending(session: Session, *, message_id: int, attempts: int) -> bool:
    """Guarded claim: only the caller that moves the row from queued to sending may send.

    Two workers reading the same queued row both try; one update matches, the other sends
    nothing. A cancel after the claim finds the row no longer queued and changes nothing.
    """
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.state == OutboxState.QUEUED,
            OutboxMessage.attempts == attempts,
        )
        .values(attempts=attempts + 1, state=OutboxState.SENDING)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def mark_sent(session: Session, *, message_id: int, now: datetime) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(state=OutboxState.SENT, sent_at=now, last_error=None)
    )


def mark_failed(session: Session, *, message_id: int, error: str, give_up: bool) -> None:
    # Back in the queue for another attempt, unless it has had its last one.
    values: dict[str, object] = {
        "last_error": error[:2000],
        "state": OutboxState.FAILED if give_up else OutboxState.QUEUED,
    }
    session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))


def cancel(session: Session, *, message_id: int) -> bool:
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.state == OutboxState.QUEUED)
        .values(state=OutboxState.CANCELLED)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]
