"""Storing what is said in linked channels: each message once per (channel, ts), with what it
says (scoring.conversation_text) computed as it is stored, and who said it.

One short transaction per message and no Web API call: the channel's link state is read by its
key every time (a channel unlinked or excluded on another replica stops being stored at once),
the author is classified from the event's own fields (a bot by `bot_id`; internal when the
author's team is the workspace's own, from the envelope's `team_id` and `authorizations`;
customer otherwise), falling back to a person seen before. A Slack retry, the same event on two
replicas or the backfill reading a message the event already stored change nothing.

A customer question's `answered_at` is its first internal reply: in its thread, or (asked in
the channel itself) an internal message in the channel within `ANSWER_LOOKBACK`. It is settled
whichever arrives first (history comes newest first), and only ever moves earlier.

Message text is never logged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.conversations.heard import Change, Garbled, Heard, from_event, is_channel_message
from scoring.config import Conversations, TriggerConfig
from scoring.conversation_text import analyse
from storage.db import transaction
from storage.enums import AuthorKind
from storage.repositories import configs
from storage.repositories import conversation_messages as store

logger = logging.getLogger(__name__)
ANSWER_LOOKBACK = timedelta(days=4)  # an internal message in the channel answers questions this recent
CONFIG_REFRESH_SECONDS = 60.0
KNOWN_PEOPLE_LIMIT = 100_000  # people this process remembers having recorded


class Outcome(StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"  # already stored (a retry, another replica, the backfill)
    EDITED = "edited"
    DELETED = "deleted"
    UNCHANGED = "unchanged"  # an edit or deletion of nothing stored, or that changes nothing
    NOT_LINKED = "not_linked"  # unknown, proposed, unlinked, excluded or unmatched: nothing kept
    SKIPPED = "skipped"  # housekeeping (joins, topic changes, …)


def own_teams(body: Mapping[str, Any]) -> frozenset[str]:
    """The workspace's own team ids from an Events API envelope."""
    teams = {body.get("team_id"), body.get("context_team_id")}
    for authorization in body.get("authorizations") or ():
        if isinstance(authorization, Mapping):
            teams.add(authorization.get("team_id"))
    return frozenset(team for team in teams if isinstance(team, str) and team)


class ConversationsConfig:
    """The active configuration's [conversations] section, read again at most every minute."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        refresh_seconds: float = CONFIG_REFRESH_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._factory, self._refresh, self._monotonic = session_factory, refresh_seconds, monotonic
        self._lock = threading.Lock()
        self._value: Conversations | None = None
        self._read_at = 0.0

    def get(self) -> Conversations:
        with self._lock:
            now = self._monotonic()
            if self._value is None or now - self._read_at >= self._refresh:
                with self._factory() as session:
                    row = configs.active_config(session)
                self._value = (
                    TriggerConfig.model_validate(row.body).conversations
                    if row is not None
                    else Conversations()
                )
                self._read_at = now
            return self._value


@dataclass
class Listener:
    """Stores heard messages; one per process (it remembers which people it has recorded)."""

    session_factory: sessionmaker[Session]
    clock: Clock
    retention_days: int
    config: ConversationsConfig

    def __post_init__(self) -> None:
        self._people: set[str] = set()
        self._people_lock = threading.Lock()

    def hear_event(self, body: Mapping[str, Any]) -> Outcome | None:
        """An Events API body: None when it is not a channel message; raises Garbled."""
        event = body.get("event")
        if not isinstance(event, Mapping) or not is_channel_message(event):
            return None
        heard = from_event(event)
        if heard is None:
            return Outcome.SKIPPED
        return self.hear(heard, teams=own_teams(body))

    def hear(self, heard: Heard, *, teams: Iterable[str]) -> Outcome:
        config = self.config.get()
        now = self.clock.now()
        with transaction(self.session_factory) as session:
            # The author's stored kind comes along only when the message names no team.
            asked = heard.user_id if heard.user_id and not heard.user_team and not heard.is_bot else None
            channel = store.channel_link(session, heard.channel_id, user_id=asked)
            if channel is None or not channel.linked:
                return Outcome.NOT_LINKED
            retention = timedelta(days=channel.retention_days or self.retention_days)
            if heard.change is Change.DELETED:
                at = heard.at or now
                deleted = store.mark_deleted(session, channel_id=heard.channel_id, ts=heard.ts, at=at)
                return Outcome.DELETED if deleted else Outcome.UNCHANGED
            kind = self._author_kind(session, heard, frozenset(teams), channel.person_kind, now)
            if heard.change is Change.EDITED:
                edited = _edit(session, heard, config, now)
                if edited is not None:
                    return edited
            row = _row(heard, channel.account_id, kind, config, retention, now)
            message_id = store.insert_message(session, row)
            if message_id is None:
                return Outcome.DUPLICATE
            _settle_answers(session, heard, kind, row, message_id)
            return Outcome.STORED if heard.change is Change.NEW else Outcome.EDITED

    def _author_kind(
        self, session: Session, heard: Heard, teams: frozenset[str], known: str | None, now: datetime
    ) -> str:
        if heard.is_bot:
            kind: str = AuthorKind.BOT
        elif heard.user_team:
            kind = AuthorKind.INTERNAL if heard.user_team in teams else AuthorKind.CUSTOMER
        else:  # no team on the message: a person seen before (`known`), else the customer's side
            kind = known or AuthorKind.CUSTOMER
        if heard.user_id and heard.user_id not in self._people:
            store.remember_person(session, user_id=heard.user_id, team_id=heard.user_team, kind=kind, now=now)
            with self._people_lock:
                if len(self._people) >= KNOWN_PEOPLE_LIMIT:
                    self._people.clear()
                self._people.add(heard.user_id)
        return kind


def _row(
    heard: Heard,
    account_id: str | None,
    kind: str,
    config: Conversations,
    retention: timedelta,
    now: datetime,
) -> dict[str, Any]:
    posted = heard.posted_at
    keep_until = posted + retention
    analysis = analyse(heard.text, config)
    kept = keep_until > now  # history older than the retention period: only what it says
    return {
        "channel_id": heard.channel_id, "ts": heard.ts, "thread_ts": heard.thread_ts,
        "account_id": account_id, "user_id": heard.user_id, "author_kind": kind, "posted_at": posted,
        "text": heard.text if kept else None, "keep_text_until": keep_until,
        "text_purged_at": None if kept else now,
        "edited_at": heard.at if heard.change is Change.EDITED else None, "deleted_at": None,
        "tone": analysis.tone, "is_question": analysis.is_question, "topics": list(analysis.topics),
        "answered_at": None, "permalink": None, "received_at": now,
    }  # fmt: skip


def _edit(session: Session, heard: Heard, config: Conversations, now: datetime) -> Outcome | None:
    """Apply an edit to the stored message; None when there is none (the edit is stored new)."""
    stored = store.stored_message(session, channel_id=heard.channel_id, ts=heard.ts)
    if stored is None:
        return None
    if stored.deleted_at is not None or stored.text == heard.text:
        return Outcome.UNCHANGED  # an unfurl or a thread's reply count changes the message, not its text
    analysis = analyse(heard.text, config)
    kept = stored.keep_text_until is not None and stored.keep_text_until > now
    values: dict[str, Any] = {
        "text": heard.text if kept else None,
        "edited_at": heard.at or now,
        "tone": analysis.tone,
        "is_question": analysis.is_question,
        "topics": list(analysis.topics),
    }
    if analysis.is_question and stored.author_kind == AuthorKind.CUSTOMER and stored.answered_at is None:
        values["answered_at"] = store.first_internal_reply(
            session, channel_id=heard.channel_id, ts=heard.ts, thread_ts=stored.thread_ts,
            after=stored.posted_at, until=stored.posted_at + ANSWER_LOOKBACK,
        )  # fmt: skip
    store.update_message(session, stored.id, **values)
    return Outcome.EDITED


def _settle_answers(
    session: Session, heard: Heard, kind: str, row: Mapping[str, Any], message_id: int
) -> None:
    posted: datetime = row["posted_at"]
    if kind == AuthorKind.INTERNAL:
        if heard.thread_ts and heard.thread_ts != heard.ts:
            store.answer_in_thread(session, channel_id=heard.channel_id, thread_ts=heard.thread_ts, at=posted)
        else:
            store.answer_in_main_flow(
                session, channel_id=heard.channel_id, since=posted - ANSWER_LOOKBACK, at=posted
            )
    elif kind == AuthorKind.CUSTOMER and row["is_question"]:
        answered = store.first_internal_reply(
            session, channel_id=heard.channel_id, ts=heard.ts, thread_ts=heard.thread_ts,
            after=posted, until=posted + ANSWER_LOOKBACK,
        )  # fmt: skip
        if answered is not None:
            store.update_message(session, message_id, answered_at=answered)


def describe(error: Garbled, body: Mapping[str, Any]) -> str:
    """A log line for a message event refused: its ids and why, never its text."""
    event = body.get("event") if isinstance(body.get("event"), Mapping) else {}
    assert isinstance(event, Mapping)
    channel = event.get("channel") if isinstance(event.get("channel"), str) else "?"
    return f"ignored a message event (event {body.get('event_id', '?')}, channel {channel}): {error}"
