"""Briefs as Slack messages: the account brief (answered privately) and the QBR brief (posted in
the requester's DM). A brief with a document shows each section's claims with their citations
and the cited sources under them; every brief says who wrote it (template or LLM) and why a
person must review it when the LLM's draft was refused."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from bot.blocks.citation import Citation, citation_mrkdwn
from bot.blocks.mrkdwn import escape, truncate
from prompts.drafting import BriefDocument, DraftResult

SECTION_LIMIT = 3000
MAX_SECTIONS = 10
CONTEXT_LIMIT = 2000
NOTHING = "_Nothing on record for this period._"


def _split(lines: list[str], limit: int = SECTION_LIMIT) -> list[str]:
    """Lines packed into chunks under `limit` (a line longer than that is truncated)."""
    chunks: list[str] = []
    current = ""
    for raw in lines:
        line = truncate(raw, limit - 1)
        if current and len(current) + len(line) + 1 > limit:
            chunks.append(current.rstrip("\n"))
            current = ""
        current += line + "\n"
    if current.strip():
        chunks.append(current.rstrip("\n"))
    return chunks


def provenance(result: DraftResult) -> str:
    """Who wrote it, from which prompt, at what cost, and any review note."""
    if result.is_template:
        notes = ["Written by template (no LLM)"]
    else:
        notes = [f"Written by LLM ({escape(result.author.removeprefix('llm:'))})"]
    notes.append(f"prompt {result.prompt_version}")
    if result.reused_draft_id is not None:
        notes.append("same facts as an earlier brief: reused, no new LLM call")
    elif result.prompt_tokens is not None:
        # the model's price is in US dollars whatever the deployment's currency: say so in words
        cost = f", ~{result.cost_usd:.4f} USD" if result.cost_usd is not None else ""
        notes.append(f"{result.prompt_tokens}+{result.completion_tokens or 0} tokens{cost}")
    if result.needs_review:
        notes.append(f"⚠️ Needs human review: {escape(result.needs_review)}")
    return truncate(" · ".join(notes), CONTEXT_LIMIT)


def document_blocks(document: BriefDocument) -> list[Block]:
    """Title, fact header, one section per part of the brief (claims with [citations]), sources."""
    blocks: list[Block] = [HeaderBlock(text=truncate(document.title, 150))]
    header = "\n".join(escape(line) for line in document.header)
    if header:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=truncate(header, CONTEXT_LIMIT))]))
    for section in document.sections:
        lines = [f"*{escape(section.title)}*"]
        for claim in section.claims:
            ids = f" `{escape(', '.join(claim.sources))}`" if claim.sources else ""
            lines.append(f"• {escape(claim.text)}{ids}")
        if not section.claims:
            lines.append(NOTHING)
        blocks += [SectionBlock(text=MarkdownTextObject(text=chunk)) for chunk in _split(lines)]
    cited = document.cited()
    if cited:
        lines = ["*Sources*"]
        for source in cited:
            text = f": {escape(source.text)}" if source.text else ""
            quoted = f" — “{escape(source.quoted)}”" if source.quoted else ""
            lines.append(f"`{escape(source.id)}` {escape(source.label)}{text}{quoted}")
        blocks += [SectionBlock(text=MarkdownTextObject(text=chunk)) for chunk in _split(lines)]
    return blocks


def _body_blocks(body: str) -> list[Block]:
    """A brief without a document (an old stored one): its text, split on line breaks."""
    # The body quotes ticket subjects and LLM text: escape it so "<!channel>" or a
    # "<https://evil|link>" arrives as text, not as a mention or a disguised link.
    chunks = _split([escape(line) for line in body.splitlines()])
    return [SectionBlock(text=MarkdownTextObject(text=chunk)) for chunk in chunks[:MAX_SECTIONS]]


def brief_blocks(result: DraftResult) -> list[dict[str, Any]]:
    blocks = document_blocks(result.document) if result.document else _body_blocks(result.body)
    blocks = blocks[:49]  # Slack's 50-block limit, with room for the provenance line
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=provenance(result))]))
    return [block.to_dict() for block in blocks]


def build_brief_message(
    account_name: str, result: DraftResult, citations: Sequence[Citation] = ()
) -> tuple[str, list[dict[str, Any]]]:
    """The account brief: plain-text fallback and blocks. `citations`: the customer's channel
    messages today's signals cite, by permalink with a short fenced excerpt (added here, beside
    the drafted brief: the drafter never sees them)."""
    blocks = brief_blocks(result)
    if citations:
        cited = "\n".join(citation_mrkdwn(citation) for citation in citations)
        section = SectionBlock(text=MarkdownTextObject(text=f"*In their channel*\n{cited}"[:SECTION_LIMIT]))
        blocks.insert(len(blocks) - 1, section.to_dict())  # above the provenance line
    return f"Brief: {account_name}", blocks
