"""Queries of the listener (bot.conversations.ingest) and the history backfill: channels'
link state and backfill cursor, people seen, and messages stored once per (channel, ts).

Every write is safe twice: a message is an INSERT … ON CONFLICT DO NOTHING on its (channel, ts)
key, a person an insert that skips one already there, an edit or deletion an UPDATE that
settles on the same row whatever the order, and `answered_at` only ever moves earlier.

The statements a message event runs (the channel's state, the insert, the answers) are built
once, with bound parameters: building a SQLAlchemy statement and its cache key for every event
cost more than running it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from storage.enums import AuthorKind, ChannelState
from storage.models import ConversationChannel, ConversationMessage, ConversationPerson
from storage.repositories.bulk import insert_ignoring_duplicates

M = ConversationMessage


@dataclass(frozen=True, slots=True)
class ChannelLink:
    """What storing a message needs to know of its channel."""

    channel_id: str
    state: str
    account_id: str | None
    retention_days: int | None
    person_kind: str | None = None  # the stored kind of the author asked about, if any

    @property
    def linked(self) -> bool:
        return self.state == ChannelState.LINKED


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """What an edit needs to know of the message it edits."""

    id: int
    text: str | None
    author_kind: str
    thread_ts: str | None
    posted_at: datetime
    keep_text_until: datetime | None
    answered_at: datetime | None
    deleted_at: datetime | None


_CHANNEL_LINK = select(
    ConversationChannel.state,
    ConversationChannel.account_id,
    ConversationChannel.retention_days,
    select(ConversationPerson.kind)
    .where(ConversationPerson.user_id == bindparam("user_id"))
    .scalar_subquery()
    .label("person_kind"),
).where(ConversationChannel.channel_id == bindparam("channel_id"))


def channel_link(session: Session, channel_id: str, *, user_id: str | None = None) -> ChannelLink | None:
    """The channel's state, account and retention (a primary-key read), and the stored kind of
    `user_id` in the same round trip; None if the channel is unknown."""
    row = session.execute(_CHANNEL_LINK, {"channel_id": channel_id, "user_id": user_id}).one_or_none()
    if row is None:
        return None
    return ChannelLink(channel_id, row.state, row.account_id, row.retention_days, row.person_kind)


_INSERTS: dict[tuple[str, str], Insert] = {}  # (dialect, table) -> INSERT … ON CONFLICT DO NOTHING


def _insert_ignoring(session: Session, table: str) -> Insert:
    dialect = session.get_bind().dialect.name
    statement = _INSERTS.get((dialect, table))
    if statement is None:
        if table == "people":
            statement = insert_ignoring_duplicates(session, ConversationPerson.__table__, ["user_id"])  # type: ignore[arg-type]
        else:  # a row back only when inserted (rowcount is unreliable on psycopg 3)
            statement = insert_ignoring_duplicates(session, M.__table__, ["channel_id", "ts"]).returning(M.id)  # type: ignore[arg-type]
        _INSERTS[(dialect, table)] = statement
    return statement


def remember_person(session: Session, *, user_id: str, team_id: str | None, kind: str, now: datetime) -> None:
    """Record a member the first time they are seen (a row already there is left as it is)."""
    values = {"user_id": user_id, "team_id": team_id, "email": None, "kind": kind, "updated_at": now}
    session.execute(_insert_ignoring(session, "people"), values)


def insert_message(session: Session, row: dict[str, Any]) -> int | None:
    """Store one message unless its (channel, ts) is there already: its id, or None."""
    return session.execute(_insert_ignoring(session, "messages"), row).scalar_one_or_none()


def stored_message(session: Session, *, channel_id: str, ts: str) -> StoredMessage | None:
    row = session.execute(
        select(M.id, M.text, M.author_kind, M.thread_ts, M.posted_at, M.keep_text_until, M.answered_at,
               M.deleted_at).where(M.channel_id == channel_id, M.ts == ts)
    ).one_or_none()  # fmt: skip
    return StoredMessage(*row) if row else None


def update_message(session: Session, message_id: int, **values: Any) -> None:
    session.execute(update(M).where(M.id == message_id).values(**values))


def mark_deleted(session: Session, *, channel_id: str, ts: str, at: datetime) -> bool:
    """A deletion: the text goes at once, the row (and what was derived) stays, marked deleted."""
    result = session.execute(
        update(M)
        .where(M.channel_id == channel_id, M.ts == ts, M.deleted_at.is_(None))
        .values(deleted_at=at, text=None)
        .returning(M.id)
    )
    return result.first() is not None


_UNANSWERED_CUSTOMER_QUESTIONS = and_(
    M.channel_id == bindparam("p_channel"),
    M.author_kind == AuthorKind.CUSTOMER,
    M.is_question.is_(True),
    M.posted_at < bindparam("p_at"),
    or_(M.answered_at.is_(None), M.answered_at > bindparam("p_at")),
)
_ANSWER_IN_THREAD = (
    update(M)
    .where(
        _UNANSWERED_CUSTOMER_QUESTIONS,
        or_(M.ts == bindparam("p_thread"), M.thread_ts == bindparam("p_thread")),
    )
    .values(answered_at=bindparam("p_at"))
    .returning(M.id)
)
_ANSWER_IN_MAIN_FLOW = (
    update(M)
    .where(
        _UNANSWERED_CUSTOMER_QUESTIONS,
        M.posted_at >= bindparam("p_since"),
        or_(M.thread_ts.is_(None), M.thread_ts == M.ts),
    )
    .values(answered_at=bindparam("p_at"))
    .returning(M.id)
)


def answer_in_thread(session: Session, *, channel_id: str, thread_ts: str, at: datetime) -> int:
    """An internal reply in a thread at `at` answers the thread's parent and the customer
    questions asked in it before then (unless answered earlier). Returns how many."""
    params = {"p_channel": channel_id, "p_thread": thread_ts, "p_at": at}
    return len(session.execute(_ANSWER_IN_THREAD, params).all())


def answer_in_main_flow(session: Session, *, channel_id: str, since: datetime, at: datetime) -> int:
    """An internal message in the channel itself at `at` answers the customer questions asked
    there (not in a thread) since `since`. Returns how many."""
    params = {"p_channel": channel_id, "p_since": since, "p_at": at}
    return len(session.execute(_ANSWER_IN_MAIN_FLOW, params).all())


_INTERNAL_AFTER = and_(
    M.channel_id == bindparam("p_channel"),
    M.author_kind == AuthorKind.INTERNAL,
    M.posted_at > bindparam("p_after"),
)
_FIRST_REPLY_IN_THREAD = select(func.min(M.posted_at)).where(
    _INTERNAL_AFTER, or_(M.thread_ts == bindparam("p_thread"), M.ts == bindparam("p_thread"))
)
_FIRST_REPLY_TO_MAIN_FLOW = select(func.min(M.posted_at)).where(
    _INTERNAL_AFTER,
    or_(
        M.thread_ts == bindparam("p_ts"),
        and_(or_(M.thread_ts.is_(None), M.thread_ts == M.ts), M.posted_at <= bindparam("p_until")),
    ),
)


def first_internal_reply(
    session: Session, *, channel_id: str, ts: str, thread_ts: str | None, after: datetime, until: datetime
) -> datetime | None:
    """When a question stored late (history comes newest first) was first answered: the first
    internal message after it in its thread, or (asked in the channel itself) in its own thread
    or in the channel before `until`."""
    if thread_ts and thread_ts != ts:
        params: dict[str, Any] = {"p_channel": channel_id, "p_after": after, "p_thread": thread_ts}
        return session.scalar(_FIRST_REPLY_IN_THREAD, params)
    params = {"p_channel": channel_id, "p_after": after, "p_ts": ts, "p_until": until}
    return session.scalar(_FIRST_REPLY_TO_MAIN_FLOW, params)


def channels_to_backfill(session: Session, channel_id: str | None = None) -> list[ConversationChannel]:
    """Linked channels (or the one asked for, whatever its state: the caller says why not)."""
    query = select(ConversationChannel).order_by(ConversationChannel.channel_id)
    if channel_id is not None:
        query = query.where(ConversationChannel.channel_id == channel_id)
    else:
        query = query.where(ConversationChannel.state == ChannelState.LINKED)
    return list(session.scalars(query))


def save_backfill(
    session: Session, *, channel_id: str, cursor: str | None, oldest: str, state: str, now: datetime
) -> None:
    session.execute(
        update(ConversationChannel)
        .where(ConversationChannel.channel_id == channel_id)
        .values(backfill_cursor=cursor, backfill_oldest=oldest, backfill_state=state, updated_at=now)
    )


def message_count(session: Session, channel_id: str | None = None) -> int:
    query = select(func.count()).select_from(M)
    if channel_id is not None:
        query = query.where(M.channel_id == channel_id)
    return int(session.scalar(query) or 0)
