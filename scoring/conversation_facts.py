"""An account's linked Slack Connect channels, summed up for one day (plain data, pure).

Filled in bulk by storage.repositories.conversation_facts; read by scoring.conversation_signals
and carried on `AccountFacts.conversation` (None: no linked channel). Messages are cited by
id only: the customer's words stay in storage, under its retention.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class CitedMessage:
    """A stored message a signal may cite (by id; its words stay in storage)."""

    message_id: int
    channel_id: str
    ts: str
    posted_at: datetime
    topics: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ConversationFacts:
    """One account's linked channels over the conversation window and the window before it.
    Only customer messages count (not deleted, in a linked channel); `read_at` is the moment
    the questions' waits are measured to."""

    read_at: datetime
    timezone: str | None = None
    linked_since: datetime | None = None  # the first linked channel's link (or first sight)
    messages: int = 0
    prev_messages: int = 0
    tone_sum: float = 0.0
    tone_n: int = 0
    prev_tone_sum: float = 0.0
    prev_tone_n: int = 0
    hostile: int = 0
    prev_hostile: int = 0
    newest_hostile: CitedMessage | None = None
    topic_counts: tuple[tuple[str, int], ...] = ()  # customer mentions per topic in the window
    alarms: tuple[CitedMessage, ...] = ()  # the newest mention of each alarm topic in the window
    open_questions: tuple[CitedMessage, ...] = ()  # unanswered customer questions, oldest first
    champion_named: bool = False
    champion_last_at: datetime | None = None  # the champion's latest message (None: none seen)

    def topic_count(self, topic: str) -> int:
        return dict(self.topic_counts).get(topic, 0)
