"""Every account's linked Slack Connect channels summed up for one day, in bulk.

Three set-based reads, none per account, each one pass over the stored messages:
1. the accounts with a linked channel (their time zone, champion, when they were linked);
2. one grouped aggregate of the customer's messages over the conversation window and the
   window before it (counts, tone sums, hostile counts);
3. the few rows worth looking at one by one (a topic mentioned, a hostile tone, an open
   question) in the same range, and the champion's latest message (people joined by email).
Only customer messages in linked channels count, deleted ones never. No message text is read:
signals cite messages by id, and the card reads its permalink and a short excerpt when shown.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, String, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import case

from scoring.config import Conversations
from scoring.conversation_facts import CitedMessage, ConversationFacts
from storage import models
from storage.enums import AuthorKind, ChannelState
from storage.repositories.driver_values import as_utc, as_utc_or_none, raw

IN_LIMIT = 900  # SQLite's bound-parameter limit, with room to spare
NO_TOPICS = ("[]", "null")


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _sum_if(condition: ColumnElement[bool], column: Any) -> Any:
    return func.coalesce(func.sum(case((condition, column), else_=0.0)), 0.0)


def load_conversation_facts(
    session: Session,
    *,
    as_of: date,
    rules: Conversations,
    now: datetime | None = None,
    account_ids: Collection[str] | None = None,
    key_range: tuple[str, str] | None = None,
) -> dict[str, ConversationFacts]:
    """{account_id: its ConversationFacts} for the accounts with a linked channel (all of them,
    the given ids, or an inclusive id range). `now`: the moment questions' waits are measured
    to, at most the end of `as_of` (default: the end of `as_of`, for a past day's cycle)."""
    end = _midnight(as_of + timedelta(days=1))
    read_at = min(now, end) if now is not None else end
    start = _midnight(as_of - timedelta(days=rules.window_days - 1))
    prev_start = start - timedelta(days=rules.window_days)
    c = models.ConversationChannel
    a = models.Account

    linked = (
        select(
            c.account_id,
            raw(func.min(func.coalesce(c.decided_at, c.created_at))),
            a.timezone,
            a.champion_email,
        )
        .join(a, a.account_id == c.account_id)
        .where(c.state == ChannelState.LINKED.value)
        .group_by(c.account_id, a.timezone, a.champion_email)
    )
    accounts = {row[0]: row[1:] for row in _scoped(session, linked, c.account_id, account_ids, key_range)}
    if not accounts:
        return {}
    m = models.ConversationMessage
    sums = {row[0]: row[1:] for row in _scoped(session, _aggregate(start, prev_start, end, rules), m.account_id,
                                                  account_ids, key_range)}  # fmt: skip
    notable = _notable(session, start, end, read_at, rules, account_ids, key_range)
    champions = _champion_last(session, end, account_ids, key_range)
    facts: dict[str, ConversationFacts] = {}
    for account_id, (linked_since, timezone, champion) in accounts.items():
        counts = sums.get(account_id, (0, 0, 0.0, 0, 0.0, 0, 0, 0))
        topics, alarms, hostile, questions = notable.get(account_id, ({}, {}, None, []))
        facts[account_id] = ConversationFacts(
            read_at=read_at,
            timezone=timezone,
            linked_since=as_utc_or_none(linked_since),
            messages=int(counts[0]),
            prev_messages=int(counts[1]),
            tone_sum=float(counts[2]),
            tone_n=int(counts[3]),
            prev_tone_sum=float(counts[4]),
            prev_tone_n=int(counts[5]),
            hostile=int(counts[6]),
            prev_hostile=int(counts[7]),
            newest_hostile=hostile,
            topic_counts=tuple(sorted(topics.items())),
            alarms=tuple(sorted(alarms.values(), key=lambda m: (m.posted_at, m.message_id))),
            open_questions=tuple(questions),
            champion_named=bool(champion and champion.strip()),
            champion_last_at=champions.get(account_id),
        )
    return facts


def _customer_messages_in_linked_channels() -> tuple[Any, ...]:
    m, c = models.ConversationMessage, models.ConversationChannel
    return (
        c.state == ChannelState.LINKED.value,
        m.author_kind == AuthorKind.CUSTOMER.value,
        m.deleted_at.is_(None),
    )


def _aggregate(start: datetime, prev_start: datetime, end: datetime, rules: Conversations) -> Select[Any]:
    m, c = models.ConversationMessage, models.ConversationChannel
    window = m.posted_at >= start
    previous = m.posted_at < start
    toned = m.tone.is_not(None)
    hostile = toned & (m.tone <= rules.hostile_tone)
    return (
        select(
            m.account_id,
            _count_if(window),
            _count_if(previous),
            _sum_if(window & toned, m.tone),
            _count_if(window & toned),
            _sum_if(previous & toned, m.tone),
            _count_if(previous & toned),
            _count_if(window & hostile),
            _count_if(previous & hostile),
        )
        .join(c, (c.channel_id == m.channel_id) & (c.account_id == m.account_id))
        .where(*_customer_messages_in_linked_channels(), m.posted_at >= prev_start, m.posted_at < end)
        .group_by(m.account_id)
    )


Notable = tuple[dict[str, int], dict[str, CitedMessage], CitedMessage | None, list[CitedMessage]]


def _notable(
    session: Session,
    start: datetime,
    end: datetime,
    read_at: datetime,
    rules: Conversations,
    account_ids: Collection[str] | None,
    key_range: tuple[str, str] | None,
) -> dict[str, Notable]:
    """Per account: topic counts, the newest message per alarm topic, the newest hostile
    message, and the open questions (oldest first), from the window's few notable rows."""
    m, c = models.ConversationMessage, models.ConversationChannel
    has_topics = cast(m.topics, String).not_in(NO_TOPICS)
    hostile = m.tone.is_not(None) & (m.tone <= rules.hostile_tone)
    open_question = m.is_question.is_(True) & m.answered_at.is_(None) & (m.posted_at < read_at)
    query = (
        select(m.account_id, m.id, m.channel_id, m.ts, raw(m.posted_at), m.topics, hostile, open_question)
        .join(c, (c.channel_id == m.channel_id) & (c.account_id == m.account_id))
        .where(*_customer_messages_in_linked_channels(), m.posted_at >= start, m.posted_at < end)
        .where(has_topics | hostile | open_question)
        .order_by(m.account_id, m.posted_at, m.id)
    )
    alarm_topics = set(rules.alarm_topics)
    found: dict[str, Notable] = {}
    for account_id, message_id, channel_id, ts, posted, topics, is_hostile, is_open in _scoped(
        session, query, m.account_id, account_ids, key_range
    ):
        counts, alarms, newest_hostile, questions = found.setdefault(account_id, ({}, {}, None, []))
        topics = tuple(sorted(str(t) for t in topics or ()))
        cited = CitedMessage(message_id, channel_id, ts, as_utc(posted), topics)
        for topic in topics:
            counts[topic] = counts.get(topic, 0) + 1
            if topic in alarm_topics:
                alarms[topic] = cited  # rows come oldest first: the newest stays
        if is_hostile:
            newest_hostile = cited
        if is_open:
            questions.append(cited)
        found[account_id] = (counts, alarms, newest_hostile, questions)
    return found


def _champion_last(
    session: Session, end: datetime, account_ids: Collection[str] | None, key_range: tuple[str, str] | None
) -> dict[str, datetime]:
    """Each account's champion's latest message in a linked channel: the account's
    `champion_email` matched (case aside) to the email of the message's author."""
    m, c, p, a = (
        models.ConversationMessage,
        models.ConversationChannel,
        models.ConversationPerson,
        models.Account,
    )
    query = (
        select(m.account_id, raw(func.max(m.posted_at)))
        .join(c, (c.channel_id == m.channel_id) & (c.account_id == m.account_id))
        .join(a, a.account_id == m.account_id)
        .join(p, p.user_id == m.user_id)
        .where(
            c.state == ChannelState.LINKED.value,
            m.deleted_at.is_(None),
            m.posted_at < end,
            a.champion_email.is_not(None),
            func.lower(p.email) == func.lower(a.champion_email),
        )
        .group_by(m.account_id)
    )
    return {
        account_id: as_utc(last)
        for account_id, last in _scoped(session, query, m.account_id, account_ids, key_range)
        if last is not None
    }


def _scoped(
    session: Session,
    query: Select[Any],
    column: Any,
    account_ids: Collection[str] | None,
    key_range: tuple[str, str] | None,
) -> Iterable[Any]:
    """Run `query` for every account, the given ids (chunked IN-lists) or an id range."""
    if account_ids is not None:
        ids = sorted(set(account_ids))
        for first in range(0, len(ids), IN_LIMIT):
            yield from session.execute(query.where(column.in_(ids[first : first + IN_LIMIT])))
        return
    if key_range is not None:
        query = query.where(column >= key_range[0], column <= key_range[1])
    yield from session.execute(query)


def cited_messages(
    session: Session, *, message_ids: Collection[int]
) -> dict[int, models.ConversationMessage]:
    """The stored messages a card or brief cites, by id."""
    ids = sorted(set(message_ids))
    found: dict[int, models.ConversationMessage] = {}
    for first in range(0, len(ids), IN_LIMIT):
        rows = session.scalars(
            select(models.ConversationMessage).where(
                models.ConversationMessage.id.in_(ids[first : first + IN_LIMIT])
            )
        )
        found.update({row.id: row for row in rows})
    return found


def save_permalink(session: Session, *, message_id: int, permalink: str) -> None:
    message = session.get(models.ConversationMessage, message_id)
    if message is not None and message.permalink != permalink:
        message.permalink = permalink
