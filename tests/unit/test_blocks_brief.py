"""The brief message builder: who wrote it, and long briefs split within Slack's limits."""

from __future__ import annotations

from bot.blocks.brief import build_brief_message
from prompts.drafting import DraftResult
from tests.support.block_limits import block_problems


def _result(body: str, **extra: object) -> DraftResult:
    fields: dict[str, object] = {
        "subject": "Brief",
        "body": body,
        "author": "template",
        "prompt_version": "brief@1",
        "facts_hash": "0" * 64,
    }
    fields.update(extra)
    return DraftResult(**fields)  # type: ignore[arg-type]


def test_a_template_brief_says_so() -> None:
    text, blocks = build_brief_message("Acme Corp", _result("*Acme Corp* (ACC-1)\nHealth 48 (red)"))
    assert text == "Brief: Acme Corp"
    assert "Health 48" in blocks[0]["text"]["text"]
    assert "Written by template (no LLM)" in blocks[-1]["elements"][0]["text"]


def test_an_llm_brief_names_the_model_and_any_review_note() -> None:
    _, blocks = build_brief_message(
        "Acme", _result("Body", author="llm:gpt-4o-mini", needs_review="cites an unknown figure")
    )
    note = blocks[-1]["elements"][0]["text"]
    assert "Written by LLM (gpt-4o-mini)" in note and "cites an unknown figure" in note


def test_a_long_brief_is_split_into_sections_within_limits() -> None:
    body = "\n".join(f"• point {n}: " + "detail " * 40 for n in range(200)) + "\n" + "y" * 5000
    _, blocks = build_brief_message("Acme", _result(body))
    assert block_problems(blocks) == []
    assert len(blocks) > 3 and all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")


def test_customer_text_in_a_brief_cannot_mention_the_channel() -> None:
    result = DraftResult(
        subject="Brief", body="*Acme* tickets:\n• <!channel> please call us & <https://x.example|click>",
        author="template", prompt_version="brief@1", facts_hash="x",
    )  # fmt: skip
    _, blocks = build_brief_message("Acme", result)
    text = blocks[0]["text"]["text"]
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text and "&amp;" in text
    assert "*Acme*" in text  # formatting survives
