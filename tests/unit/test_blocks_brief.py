"""The brief and QBR message builders: sections with citations, the sources, who wrote it, a
review note when needed, and everything within Slack's limits and escaped."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.blocks.brief import build_brief_message
from prompts.drafting import DraftResult, TemplateDrafter
from tests.support.block_limits import block_problems
from tests.support.drafting_factories import brief, qbr


def _result(body: str, **extra: object) -> DraftResult:
    fields: dict[str, object] = {"subject": "Brief", "body": body, "author": "template", "prompt_version": "brief@1",
                                 "facts_hash": "0" * 64}  # fmt: skip
    fields.update(extra)
    return DraftResult(**fields)  # type: ignore[arg-type]


def _texts(blocks: list[dict[str, Any]]) -> str:
    """Every text a person sees in the blocks, one block a line."""
    lines = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            lines.append(str(block["text"]["text"]))
        lines += [str(element.get("text", "")) for element in block.get("elements", [])]
    return "\n".join(lines)


def test_a_template_brief_shows_sections_citations_and_sources_and_says_it_is_a_template() -> None:
    result = TemplateDrafter().brief(brief())
    text, blocks = build_brief_message("Acme Corp", result)
    assert text == "Brief: Acme Corp" and block_problems(blocks) == []
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Brief: Acme Corp", "emoji": True},
    }
    body = _texts(blocks)
    assert (
        "*Health and why*" in body
        and "• Usage factor, 2026-03-02: 30/100 (weight 40%): 12 of 40 seats active (30%) `F-usage`" in body
    )
    assert (
        "*Sources*" in body and "`T-7` ticket T-7, high, opened 2026-02-27, open — “Export failing”" in body
    )
    assert "Written by template (no LLM)" in blocks[-1]["elements"][0]["text"]


def test_an_llm_brief_names_the_model_its_tokens_and_cost_and_any_review_note() -> None:
    result = replace(TemplateDrafter().brief(brief()), author="llm:gpt-4o-mini", prompt_tokens=900,
                     completion_tokens=300, cost_usd=0.000315, needs_review=None)  # fmt: skip
    note = build_brief_message("Acme", result)[1][-1]["elements"][0]["text"]
    assert note == "Written by LLM (gpt-4o-mini) · prompt brief@2 · 900+300 tokens, ~0.0003 USD"
    flagged = replace(
        TemplateDrafter().brief(brief()),
        needs_review="LLM draft rejected: cites an unknown figure; template draft used",
    )
    note = build_brief_message("Acme", flagged)[1][-1]["elements"][0]["text"]
    assert (
        "Written by template (no LLM)" in note
        and "⚠️ Needs human review: LLM draft rejected: cites an unknown figure" in note
    )


def test_a_reused_brief_says_no_new_llm_call_was_made() -> None:
    result = replace(TemplateDrafter().brief(brief()), author="llm:m", reused_draft_id=7, prompt_tokens=0)
    assert "reused, no new LLM call" in build_brief_message("Acme", result)[1][-1]["elements"][0]["text"]


def test_a_qbr_brief_fits_slacks_limits() -> None:
    result = TemplateDrafter().qbr(qbr())
    _, blocks = build_brief_message("Acme", result)
    assert block_problems(blocks) == [] and len(blocks) < 50
    assert "*Proposed agenda*" in _texts(blocks)


def test_a_long_brief_without_a_document_is_split_into_sections_within_limits() -> None:
    body = "\n".join(f"• point {n}: " + "detail " * 40 for n in range(200)) + "\n" + "y" * 5000
    _, blocks = build_brief_message("Acme", _result(body))
    assert block_problems(blocks) == []
    assert len(blocks) > 3 and all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")


def test_customer_text_in_a_brief_cannot_mention_the_channel() -> None:
    result = _result("*Acme* tickets:\n• <!channel> please call us & <https://x.example|click>")
    text = build_brief_message("Acme", result)[1][0]["text"]["text"]
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text and "&amp;" in text
    assert "*Acme*" in text  # formatting survives
    hostile = TemplateDrafter().brief(
        brief(recent_tickets=(replace(brief().recent_tickets[0], subject="<!here> <@U1>"),))
    )
    rendered = _texts(build_brief_message("Acme", hostile)[1])
    assert "<!here>" not in rendered and "&lt;!here&gt; &lt;@U1&gt;" in rendered
