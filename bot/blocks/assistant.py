"""The assistant's answer as a Slack message: the answer (sections, or the brief's own blocks),
its sources in a context line, and Slack's feedback buttons (thumbs up / down)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ContextActionsBlock,
    ContextBlock,
    FeedbackButtonObject,
    FeedbackButtonsElement,
    MarkdownTextObject,
    SectionBlock,
)

from bot.assistant.types import Reply
from bot.blocks.brief import _split
from bot.blocks.mrkdwn import escape, truncate

FEEDBACK_ACTION = "assistant-feedback"
MAX_SOURCES = 12
MAX_BLOCKS = 48
TEXT_LIMIT = 3900
PROMPTS = (  # suggested when the Messages tab opens (≤ 4)
    {"title": "What needs me today?", "message": "what needs me today?"},
    {"title": "Renewals this quarter", "message": "which of my accounts renew this quarter and how risky?"},
    {"title": "Why is an account red?", "message": "why is ACCOUNT red?"},
    {"title": "What can you do?", "message": "help"},
)


def sources_line(sources: tuple[str, ...]) -> str:
    shown = [escape(truncate(s, 150)) for s in sources[:MAX_SOURCES]]
    more = f" …and {len(sources) - MAX_SOURCES} more" if len(sources) > MAX_SOURCES else ""
    return truncate("*Sources:* " + " · ".join(shown) + more, 2000)


def answer_message(reply: Reply) -> tuple[str, list[dict[str, Any]]]:
    """Fallback text and blocks: the reply's own blocks (a pick list, a brief, a Confirm card)
    or its text in sections; then its sources; then the feedback buttons."""
    blocks: list[dict[str, Any]] = list(reply.blocks) or [
        SectionBlock(text=MarkdownTextObject(text=chunk)).to_dict()
        for chunk in _split(reply.text.splitlines())
    ]
    blocks = blocks[: MAX_BLOCKS - 2]
    if reply.sources:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=sources_line(reply.sources))]).to_dict())
    blocks.append(feedback_block())
    return truncate(reply.text, TEXT_LIMIT), blocks


def feedback_block() -> dict[str, Any]:
    return ContextActionsBlock(
        elements=[
            FeedbackButtonsElement(
                action_id=FEEDBACK_ACTION,
                positive_button=FeedbackButtonObject(
                    text="Good answer", value="up", accessibility_label="This answer was right"
                ),
                negative_button=FeedbackButtonObject(
                    text="Wrong answer", value="down", accessibility_label="This answer was wrong"
                ),
            )
        ]
    ).to_dict()
