"""Retention of message text: a stored message's text goes (NULL, `text_purged_at` set) once
its `keep_text_until` has passed, or at once for a channel that was excluded or that ops purged.
What was derived from it (tone, topics, question, answered, posted_at, author) stays.

Each call purges one bounded batch in the caller's transaction and says how many rows it
emptied; callers loop, one short transaction per batch, so a large purge never holds a long
lock and a stop midway loses nothing (the rest goes on the next run)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from storage.models import ConversationMessage


def purge_due_batch(session: Session, *, now: datetime, undated_before: datetime, batch: int) -> int:
    """Empty up to `batch` texts past their `keep_text_until` (a row without one: posted before
    `undated_before`, the default retention)."""
    due = or_(
        ConversationMessage.keep_text_until <= now,
        and_(ConversationMessage.keep_text_until.is_(None), ConversationMessage.posted_at < undated_before),
    )
    return _purge(session, due, now=now, batch=batch)


def purge_channel_batch(session: Session, *, channel_id: str, now: datetime, batch: int) -> int:
    """Empty up to `batch` texts of one channel, whatever their retention date."""
    return _purge(session, ConversationMessage.channel_id == channel_id, now=now, batch=batch)


def _purge(session: Session, condition: object, *, now: datetime, batch: int) -> int:
    ids = list(
        session.scalars(
            select(ConversationMessage.id)
            .where(ConversationMessage.text.is_not(None))
            .where(condition)  # type: ignore[arg-type]
            .limit(batch)
        )
    )
    if not ids:
        return 0
    result = session.execute(
        update(ConversationMessage)
        .where(ConversationMessage.id.in_(ids))
        .where(ConversationMessage.text.is_not(None))  # a concurrent purge emptied it already
        .values(text=None, text_purged_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
