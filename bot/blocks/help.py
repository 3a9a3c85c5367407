"""The help Tandem answers a direct message with: one section of mrkdwn (Tandem's own words)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

from bot.blocks.mrkdwn import truncate


def help_blocks(text: str) -> list[dict[str, Any]]:
    return [SectionBlock(text=MarkdownTextObject(text=truncate(text))).to_dict()]
