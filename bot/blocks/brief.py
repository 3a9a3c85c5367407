"""The account brief as a Slack message (answered privately to the requester)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock

from bot.blocks.mrkdwn import escape, truncate
from prompts.drafting import DraftResult

SECTION_LIMIT = 3000
MAX_SECTIONS = 10


def build_brief_message(account_name: str, result: DraftResult) -> tuple[str, list[dict[str, Any]]]:
    """The drafter writes mrkdwn; long briefs are split on line breaks into sections."""
    sections: list[str] = []
    current = ""
    for raw in result.body.splitlines():
        # The body quotes ticket subjects and LLM text: escape it so "<!channel>" or a
        # "<https://evil|link>" arrives as text, not as a mention or a disguised link.
        line = escape(raw)
        if len(current) + len(line) + 1 > SECTION_LIMIT:
            sections.append(current)
            current = ""
        current += truncate(line, SECTION_LIMIT) + "\n"
    if current.strip():
        sections.append(current)
    blocks: list[Any] = [SectionBlock(text=MarkdownTextObject(text=part)) for part in sections[:MAX_SECTIONS]]
    source = (
        "Written by template (no LLM)"
        if result.author == "template"
        else f"Written by LLM ({result.author.removeprefix('llm:')})"
    )
    notes = [source, f"prompt {result.prompt_version}"]
    if result.needs_review:
        notes.append(f"⚠️ {result.needs_review}")
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=truncate(" · ".join(notes), 2000))]))
    return f"Brief: {account_name}", [block.to_dict() for block in blocks]
