"""The LLM topic classifier's reads and writes: customer messages whose text is still kept,
its cache (topics by the text's sha256 and the model, never the text), and the tokens it spent
today. A classification may only add topics to a message, never remove the keyword ones."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import models
from storage.enums import AuthorKind, ChannelState

IN_LIMIT = 900


def texts_to_classify(session: Session, *, since: datetime, limit: int) -> list[tuple[int, str, list[str]]]:
    """(id, text, topics) of customer messages in linked channels posted since `since` whose
    text is still kept and that are not deleted, newest first, at most `limit`."""
    m, c = models.ConversationMessage, models.ConversationChannel
    query = (
        select(m.id, m.text, m.topics)
        .join(c, c.channel_id == m.channel_id)
        .where(
            c.state == ChannelState.LINKED.value,
            m.author_kind == AuthorKind.CUSTOMER.value,
            m.text.is_not(None),
            m.deleted_at.is_(None),
            m.posted_at >= since,
        )
        .order_by(m.posted_at.desc(), m.id.desc())
        .limit(limit)
    )
    return [(row[0], str(row[1]), list(row[2] or [])) for row in session.execute(query)]


def cached(session: Session, *, hashes: Collection[str], model: str) -> dict[str, list[str]]:
    """The cached topics of the given text hashes for `model`."""
    ids = sorted(set(hashes))
    t = models.ConversationTopicCache
    found: dict[str, list[str]] = {}
    for first in range(0, len(ids), IN_LIMIT):
        query = select(t.text_hash, t.topics).where(
            t.model == model, t.text_hash.in_(ids[first : first + IN_LIMIT])
        )
        found.update({row[0]: list(row[1] or []) for row in session.execute(query)})
    return found


def tokens_spent_since(session: Session, *, since: datetime) -> int:
    t = models.ConversationTopicCache
    return int(session.scalar(select(func.coalesce(func.sum(t.tokens), 0)).where(t.created_at >= since)) or 0)


def remember(
    session: Session,
    *,
    model: str,
    answers: Mapping[str, Sequence[str]],
    tokens: Mapping[str, int],
    now: datetime,
) -> None:
    """Cache each text hash's topics (a hash already cached is left as it is)."""
    known = cached(session, hashes=list(answers), model=model)
    for text_hash, topics in answers.items():
        if text_hash not in known:
            session.add(
                models.ConversationTopicCache(
                    text_hash=text_hash, model=model, topics=list(topics), tokens=tokens.get(text_hash, 0),
                    created_at=now,
                )
            )  # fmt: skip
    session.flush()


def add_topics(session: Session, *, topics_by_message: Mapping[int, Sequence[str]]) -> int:
    """Add topics to messages (keeping every topic they had); returns how many changed."""
    changed = 0
    for message_id, extra in topics_by_message.items():
        message = session.get(models.ConversationMessage, message_id)
        if message is None or not extra:
            continue
        merged = sorted(set(message.topics or []) | set(extra))
        if merged != sorted(message.topics or []):
            message.topics = merged
            changed += 1
    return changed
