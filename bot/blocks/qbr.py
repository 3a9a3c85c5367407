"""The QBR brief as a Slack message (in the requester's DM; chart and Markdown follow in its thread)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.blocks.brief import brief_blocks
from bot.blocks.mrkdwn import escape

if TYPE_CHECKING:
    from bot.workflows.qbr import QBRBrief


def build_qbr_message(brief: QBRBrief) -> tuple[str, list[dict[str, Any]]]:
    return f"QBR brief: {brief.account_name}", brief_blocks(brief.result)


def files_comment(brief: QBRBrief) -> str:
    days = (
        f"{brief.snapshot_days} of 90 days have a health snapshot; days without one are gaps, not filled in."
    )
    return f"Health and usage over the last 90 days, and the brief as Markdown for your deck. {escape(days)}"


def ready_message(brief: QBRBrief) -> str:
    """The private reply to the requester once the brief is in their DM."""
    review = (
        " It needs human review before you use it (see the note under the brief)."
        if brief.result.needs_review
        else ""
    )
    return f"Your QBR brief for {escape(brief.account_name)} is in your DM with Tandem, with the chart and a Markdown copy in the thread.{review}"
