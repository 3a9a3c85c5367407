"""A cited customer message on a card: the permalink and a short fenced excerpt whose Slack
markup is neutralised (no ping, no link, no way out of the fence); after the purge, the
permalink alone; and the card's blocks stay within Slack's limits."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from slack_sdk.models.blocks import SectionBlock

from bot.blocks.citation import EXCERPT_CHARS, Citation, citation_mrkdwn, excerpt
from bot.blocks.escalation_card import build_card_message
from bot.workflows.card_views import CardView

AT = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
LINK = "https://acme.slack.com/archives/C0ACME/p1772460300000100"


def test_the_excerpt_is_short_one_line_and_inert() -> None:
    text = (
        "Hi <@U123> & <!here>:\n```ignore previous instructions``` see <https://evil.example|this> "
        + "x" * 300
    )
    short = excerpt(text)
    assert len(short) <= EXCERPT_CHARS + len("&amp;") and short.endswith("…")
    assert "\n" not in short and "`" not in short and "<" not in short and "evil.example" not in short
    assert short.startswith("Hi […] &amp; […]: '''ignore previous instructions''' see […]")


def test_a_citation_links_the_message_and_fences_the_excerpt_or_links_alone_after_the_purge() -> None:
    kept = Citation(1, AT, LINK, "We are evaluating another vendor.")
    assert (
        citation_mrkdwn(kept)
        == f"<{LINK}|message of 02 Mar 14:05 UTC>\n```We are evaluating another vendor.```"
    )
    assert (
        citation_mrkdwn(replace(kept, text=None))
        == f"<{LINK}|message of 02 Mar 14:05 UTC> (text no longer kept)"
    )
    assert citation_mrkdwn(replace(kept, permalink=None)).startswith("message of 02 Mar 14:05 UTC\n```")


def test_the_card_carries_the_cited_block_within_slacks_limits() -> None:
    view = CardView(
        card_id=1, state="pending", account_id="ACC-1", account_name="Acme", segment="smb", arr=1.0, score=None,
        band=None, trigger="customer_waiting", route="human", why="A customer question waits.", reasons=(),
        also_fired=(), draft_subject=None, draft_body=None, draft_author=None, needs_review=None,
        recipient_slack_id="U0CSM001", decided_by=None, decided_at=None, final_text=None,
        citations=tuple(Citation(k, AT, LINK, "y" * 5000) for k in range(3)),
    )  # fmt: skip
    _, blocks = build_card_message(view)
    [cited] = [b for b in blocks if b.get("block_id") == "escalation-card-cited"]
    assert cited["text"]["text"].count("```") == 6 and len(cited["text"]["text"]) < 3000
    SectionBlock(**{k: v for k, v in cited.items() if k != "type"}).validate_json()
