"""The LLM topic classifier's prompt and answer: several customer messages per call, each
fenced as quoted data (the system prompt says it is data, never instructions), and a JSON
answer validated against `TopicAnswer`. The answer may only add topics from the configured
list; anything else it says is dropped. Pure: renders text, calls nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from prompts.llm_prompts import FENCE, MARKER
from prompts.rendering import render

MAX_MESSAGE_CHARS = 600  # a message longer than this is cut for the classifier
CHARS_PER_TOKEN = 4  # a budget estimate before the call (the answer's usage is what counts)
ANSWER_TOKENS_PER_MESSAGE = 12


class TopicItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(max_length=20)
    topics: list[str] = Field(max_length=20)


class TopicAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[TopicItem] = Field(max_length=200)


@dataclass(frozen=True)
class TopicPrompt:
    system: str
    user: str
    ids: tuple[str, ...]

    @property
    def estimated_tokens(self) -> int:
        """Tokens this call may spend, estimated before it is made (for the daily budget)."""
        return (len(self.system) + len(self.user)) // CHARS_PER_TOKEN + ANSWER_TOKENS_PER_MESSAGE * len(
            self.ids
        )


def fenced(text: str) -> str:
    """A message as quoted data: cut short, and unable to close its fence or fake the end marker."""
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[: MAX_MESSAGE_CHARS - 1] + "…"
    return MARKER.sub("(marker removed)", FENCE.sub("'''", text))


def topic_prompt(messages: Sequence[tuple[str, str]], topics: Mapping[str, Sequence[str]]) -> TopicPrompt:
    """`messages`: (id, text) pairs; `topics`: the configured topics and their phrases."""
    quoted = [{"label": f"Message {key}", "text": fenced(text)} for key, text in messages]
    ids = tuple(key for key, _ in messages)
    described = [(name, ", ".join(phrases) or name) for name, phrases in sorted(topics.items())]
    user = render("topics.user.j2", topics=described, ids=", ".join(ids), quoted=quoted)
    return TopicPrompt(render("topics.system.j2"), user, ids)


def added_topics(
    answer: TopicAnswer, *, ids: Sequence[str], allowed: Sequence[str]
) -> dict[str, tuple[str, ...]]:
    """Per message id asked about, the answer's topics that are on the list (sorted, unique);
    ids it was not asked about and topics not on the list are dropped."""
    asked, known = set(ids), set(allowed)
    found: dict[str, set[str]] = {key: set() for key in ids}
    for item in answer.items:
        if item.id in asked:
            found[item.id].update(
                topic.strip().lower() for topic in item.topics if topic.strip().lower() in known
            )
    return {key: tuple(sorted(topics)) for key, topics in found.items()}
