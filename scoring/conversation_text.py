"""What one customer message says, computed once when it is stored: tone, question, topics.

Pure (no Slack, no database): the listener calls `analyse` on each message it stores, so the
daily pass over 100,000 accounts only counts stored values. Tone is the ticket lexicon's
(scoring.sentiment); topics are phrase matches from `[conversations.topics]` plus the named
competitors; an LLM classifier may add topics later (bot.conversations), never remove them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scoring.config import Conversations
from scoring.sentiment import ticket_tone

# A question or a request: a "?" or an opening that asks for something.
_ASKS = re.compile(
    r"\?|^\s*(can|could|would|will|is|are|do|does|did|when|how|what|why|where|who|any update|please)\b",
    re.IGNORECASE | re.MULTILINE,
)
_SLACK_MARKUP = re.compile(r"<[^>]*>")  # <@U123>, <#C1|x>, <https://…|label>


@dataclass(frozen=True, slots=True)
class MessageAnalysis:
    tone: float
    is_question: bool
    topics: tuple[str, ...]


def plain_text(text: str) -> str:
    """The message without Slack's markup (mentions, links), lower-cased for matching."""
    return _SLACK_MARKUP.sub(" ", text).lower()


def topics_in(text: str, config: Conversations) -> tuple[str, ...]:
    plain = plain_text(text)
    found = [topic for topic, phrases in config.topics.items() if any(p.lower() in plain for p in phrases)]
    if "competitor" not in found and any(name.lower() in plain for name in config.competitor_names):
        found.append("competitor")
    return tuple(sorted(found))


def analyse(text: str, config: Conversations) -> MessageAnalysis:
    return MessageAnalysis(
        tone=ticket_tone("", _SLACK_MARKUP.sub(" ", text)),
        is_question=bool(_ASKS.search(_SLACK_MARKUP.sub(" ", text))),
        topics=topics_in(text, config),
    )
