"""The Confirm card of a request asked in words: the question, **Confirm** and **Cancel**; once
answered, the buttons give way to what happened (done by whom and when, cancelled, expired, or
why it could not be done)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.ids import AssistantActionBlock, AssistantActionId


def confirm_card(*, summary: str, action_id: int, note: str) -> tuple[str, list[dict[str, Any]]]:
    """`summary`: "Pause automation on *Acme* for 14 days?"; each button's value is the pending id."""
    value = str(action_id)
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=summary)),
        ActionsBlock(
            block_id=AssistantActionBlock.ACTIONS,
            elements=[
                ButtonElement(
                    text="Confirm", action_id=AssistantActionId.CONFIRM, value=value, style="primary"
                ),
                ButtonElement(text="Cancel", action_id=AssistantActionId.CANCEL, value=value),
            ],
        ),
        ContextBlock(elements=[MarkdownTextObject(text=note)]),
    ]
    return summary, [block.to_dict() for block in blocks]


def closed_card(*, summary: str, line: str) -> tuple[str, list[dict[str, Any]]]:
    """The answered card: the question, then what happened instead of the buttons."""
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=summary)),
        ContextBlock(elements=[MarkdownTextObject(text=line)]),
    ]
    return f"{summary} {line}", [block.to_dict() for block in blocks]
