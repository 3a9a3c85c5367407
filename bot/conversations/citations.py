"""Messages a signal cites: their permalinks (chat.getPermalink, asked once and cached on the
stored message) and what a card, a brief or `explain` shows of them (bot.blocks.citation).

A signal's details name the messages it cites by id (scoring.conversation_signals); the words
stay in storage under its retention, so a card rendered after the purge cites the permalink
only. Nothing here logs a message's text.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot.blocks.citation import Citation
from storage.db import transaction
from storage.repositories.conversation_facts import cited_messages, save_permalink

logger = logging.getLogger(__name__)
MAX_CITED = 3  # messages a card or brief cites at most


def cited_ids(details: Mapping[str, Any] | None) -> list[int]:
    """The ids of the messages a signal's details cite, in order, without repeats."""
    found: list[int] = []
    messages = details.get("messages") if isinstance(details, Mapping) else None
    if not isinstance(messages, list):
        return found
    for item in messages:
        message_id = item.get("message_id") if isinstance(item, Mapping) else None
        if isinstance(message_id, int) and message_id not in found:
            found.append(message_id)
    return found


def fetch_permalinks(
    client: WebClient | None, session_factory: sessionmaker[Session], *, message_ids: Iterable[int]
) -> int:
    """Ask Slack for the permalink of each cited message that has none cached; returns how many
    were cached. Without a client (the terminal preview) nothing is asked; a refusal leaves the
    message cited without a link (the next card asks again)."""
    ids = sorted(set(message_ids))
    if client is None or not ids:
        return 0
    with session_factory() as session:
        wanted = [(m.id, m.channel_id, m.ts) for m in cited_messages(session, message_ids=ids).values()
                  if not m.permalink]  # fmt: skip
    fetched: dict[int, str] = {}
    for message_id, channel_id, ts in wanted:
        try:
            answer = client.chat_getPermalink(channel=channel_id, message_ts=ts)
        except SlackApiError as error:
            logger.warning(
                "chat.getPermalink refused message %s in %s: %s",
                message_id, channel_id, error.response.get("error"),
            )  # fmt: skip
            continue
        link = answer.get("permalink")
        if isinstance(link, str) and link.startswith("https://"):
            fetched[message_id] = link
    if fetched:
        with transaction(session_factory) as session:
            for message_id, link in fetched.items():
                save_permalink(session, message_id=message_id, permalink=link)
    return len(fetched)


def citations(session: Session, details: Mapping[str, Any] | None) -> tuple[Citation, ...]:
    """What a card shows of the messages its signal cites (a deleted message is left out)."""
    ids = cited_ids(details)[:MAX_CITED]
    if not ids:
        return ()
    stored = cited_messages(session, message_ids=ids)
    return tuple(
        Citation(m.id, m.posted_at, m.permalink, m.text)
        for m in (stored.get(message_id) for message_id in ids)
        if m is not None and m.deleted_at is None
    )
