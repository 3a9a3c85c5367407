"""What a Slack message (an event, or an entry of conversations.history / replies) says, read
into plain data before anything is stored (pure: no Slack, no database).

A new message, an edit (`message_changed`) or a deletion (`message_deleted`); housekeeping
(`channel_join`, `channel_topic`, …) is nothing to store. A message whose fields are not what
Slack sends raises `Garbled`, naming the field, never quoting the message's text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

# Subtypes that are a person's (or a bot's) new message; every other subtype is housekeeping.
NEW_SUBTYPES = frozenset({None, "", "thread_broadcast", "file_share", "me_message", "bot_message"})
CHANNEL_TYPES = frozenset({"channel", "group"})  # message.channels, message.groups
_TS = re.compile(r"^\d{1,12}\.\d{1,6}$")
_ID = re.compile(r"^[A-Z0-9]{2,32}$")


class Garbled(ValueError):
    """A message event Tandem cannot read: nothing is stored; the reason names the field."""


class Change(StrEnum):
    NEW = "new"
    EDITED = "edited"
    DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class Heard:
    change: Change
    channel_id: str
    ts: str
    thread_ts: str | None = None
    user_id: str | None = None
    user_team: str | None = None  # the author's workspace, as Slack gives it
    is_bot: bool = False
    text: str = ""
    at: datetime | None = None  # an edit's or deletion's time

    @property
    def posted_at(self) -> datetime:
        return posted_at(self.ts)


def posted_at(ts: str) -> datetime:
    """A Slack ts ("1596183880.004200") as a UTC time, to the microsecond (no float rounding)."""
    seconds, _, fraction = ts.partition(".")
    return datetime.fromtimestamp(int(seconds), UTC) + timedelta(microseconds=int(fraction.ljust(6, "0")))


def is_channel_message(event: Mapping[str, Any]) -> bool:
    """A `message` event from a public or private channel (not a DM or a group DM)."""
    if event.get("type") != "message":
        return False
    kind = event.get("channel_type")
    return kind in CHANNEL_TYPES if kind is not None else str(event.get("channel", ""))[:1] in ("C", "G")


def from_event(event: Mapping[str, Any]) -> Heard | None:
    """A message event (message.channels / message.groups); None for housekeeping."""
    channel = _id(event.get("channel"), "channel")
    return from_message(event, channel_id=channel)


def from_message(message: Mapping[str, Any], *, channel_id: str) -> Heard | None:
    """A message event or a history entry in `channel_id`; None for housekeeping."""
    subtype = message.get("subtype")
    if subtype is not None and not isinstance(subtype, str):
        raise Garbled("subtype is not text")
    if subtype == "message_changed":
        inner = message.get("message")
        if not isinstance(inner, Mapping):
            raise Garbled("a message_changed event without its message")
        edited = inner.get("edited")
        edited_ts = edited.get("ts") if isinstance(edited, Mapping) else None
        at = posted_at(_ts(edited_ts, "edited.ts")) if edited_ts is not None else _event_time(message)
        new = _new(inner, channel_id)
        return Heard(Change.EDITED, channel_id, new.ts, new.thread_ts, new.user_id, new.user_team,
                     new.is_bot, new.text, at)  # fmt: skip
    if subtype == "message_deleted":
        previous = message.get("previous_message")
        deleted = message.get("deleted_ts") or (previous.get("ts") if isinstance(previous, Mapping) else None)
        return Heard(Change.DELETED, channel_id, _ts(deleted, "deleted_ts"), at=_event_time(message))
    if subtype not in NEW_SUBTYPES:
        return None
    return _new(message, channel_id)


def _new(message: Mapping[str, Any], channel_id: str) -> Heard:
    ts = _ts(message.get("ts"), "ts")
    thread_ts = message.get("thread_ts")
    text = message.get("text", "")
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise Garbled("text is not text")
    user = message.get("user")
    team = message.get("user_team") or message.get("team")
    return Heard(
        Change.NEW,
        channel_id,
        ts,
        thread_ts=_ts(thread_ts, "thread_ts") if thread_ts is not None else None,
        user_id=_id(user, "user") if user is not None else None,
        user_team=_id(team, "team") if team is not None else None,
        is_bot=bool(message.get("bot_id")) or message.get("subtype") == "bot_message",
        text=text,
    )


def _event_time(message: Mapping[str, Any]) -> datetime | None:
    event_ts = message.get("event_ts")
    return posted_at(_ts(event_ts, "event_ts")) if event_ts is not None else None


def _ts(value: Any, field: str) -> str:
    if not isinstance(value, str) or not _TS.match(value):
        raise Garbled(f"{field} is not a Slack timestamp")
    return value


def _id(value: Any, field: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise Garbled(f"{field} is not a Slack id")
    return value
