"""The hand-off packet a take-over posts in the card's thread, and the hand-back messages.

The packet (a pure function of a PacketView and the account brief): who holds the account and
until when, **Hand back to Tandem**, the card's draft as talking points, the open commitments,
the last 90 days newest first, then the account brief with its cited sources (bot.blocks.brief,
the same facts `/brief` shows). It stays within Slack's 50 blocks: the brief gets what the rest
leaves. Every piece of customer-written text is escaped and quoted, so nothing in a ticket can
ping, link or pass for Tandem's own words.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks.brief import brief_blocks
from bot.blocks.mrkdwn import escape, truncate
from bot.blocks.slack_dates import slack_day, slack_time
from bot.ids import HandOffAction, HandOffBlock
from bot.workflows.hand_off.views import Commitment, PacketView, TimelineItem
from prompts.drafting import DraftResult

MESSAGE_BLOCKS = 50
SECTION_LIMIT = 3000
TIMELINE_SHOWN = 15
COMMITMENTS_SHOWN = 10
QUOTED_CHARS = 160  # of one customer-written line
HAND_BACK_LABEL = "Hand back to Tandem"
TIMELINE_ICONS = {"touch": "📤", "reply": "📥", "ticket": "🎫", "context": "🧭"}
COMMITMENT_ICONS = {"renewal": "🔁", "milestone": "🎯", "queued": "✉️", "ticket": "🎫"}


def quoted(text: str, limit: int = QUOTED_CHARS) -> str:
    """Customer-written text as a quotation: one line, escaped, shortened, in quotes."""
    one_line = " ".join(text.split())
    return f"“{escape(truncate(one_line, limit))}”" if one_line else ""


def timeline_line(item: TimelineItem) -> str:
    what = escape(item.text) + (f": {quoted(item.quoted)}" if item.quoted.strip() else "")
    when = slack_day(item.at.date()) if item.kind == "context" else slack_time(item.at)
    return f"{TIMELINE_ICONS.get(item.kind, '•')} {when} · {what}"


def commitment_line(item: Commitment) -> str:
    what = escape(item.text) + (f": {quoted(item.quoted)}" if item.quoted.strip() else "")
    if item.kind == "milestone" and item.day is not None:
        what += f", due {slack_day(item.day)}" + (" ⚠️ overdue" if item.overdue else "")
    elif item.kind == "renewal" and item.day is not None:
        what += f", on {slack_day(item.day)}"
    elif item.kind == "queued" and item.at is not None:
        what += f", goes out {slack_time(item.at)} unless cancelled"
    elif item.kind == "ticket" and item.at is not None:
        what += f", since {slack_time(item.at)}"
    return f"{COMMITMENT_ICONS.get(item.kind, '•')} {what}"


def _sections(title: str, lines: list[str], more: int, empty: str) -> list[Block]:
    """A titled list in as few sections as Slack's 3,000 characters allow."""
    body = lines or [empty]
    if more > 0:
        body = [*body, f"_…and {more} more._"]
    chunks: list[str] = []
    current = title
    for line in body:
        line = truncate(line, SECTION_LIMIT - len(title) - 2)
        if len(current) + 1 + len(line) > SECTION_LIMIT:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    chunks.append(current)
    return [SectionBlock(text=MarkdownTextObject(text=chunk)) for chunk in chunks]


def hand_back_actions(account_id: str) -> ActionsBlock:
    return ActionsBlock(
        block_id=HandOffBlock.ACTIONS,
        elements=[ButtonElement(text=HAND_BACK_LABEL, action_id=HandOffAction.HAND_BACK, value=account_id)],
    )


def handed_back_line(*, by: str, at: datetime, automatic: bool, veto_lifted: bool = False) -> str:
    if veto_lifted:
        return f"↩️ Handed back to Tandem by <@{by}> {slack_time(at)}, who lifted the account's veto."
    if automatic:
        return f"↩️ Handed back to Tandem automatically {slack_time(at)}: the hold ran its course."
    return f"↩️ Handed back to Tandem by <@{by}> {slack_time(at)}. Automation handles the account again."


def build_packet(view: PacketView, brief: DraftResult) -> tuple[str, list[dict[str, Any]]]:
    """The packet's fallback text and blocks (at most 50; the brief is shortened to fit)."""
    name = view.account_name
    text = f"Hand-off packet: {escape(name)}"
    holding = (
        f"<@{view.taken_by}> took this over {slack_time(view.taken_at)}. Tandem's automation is paused on "
        f"*{escape(name)}* until it is handed back: click *{HAND_BACK_LABEL}* when you're done. Held "
        f"{view.hand_back_days} days, it goes back by itself, with a reminder first (*Keep it* on the "
        "reminder restarts the count)."
    )
    top: list[Block] = [
        HeaderBlock(text=truncate(f"🙋 Hand-off: {name}", 150)),
        SectionBlock(text=MarkdownTextObject(text=truncate(holding, SECTION_LIMIT))),
    ]
    top.append(hand_back_actions(view.account_id) if view.held else _closed_note())
    rest: list[Block] = [DividerBlock()]
    rest += _sections(
        "*Talking points* (from the card's draft; not sent, say it your way)",
        [f"• {escape(point)}" for point in view.talking_points],
        0,
        "_The card had no draft._",
    )
    shown = view.commitments[:COMMITMENTS_SHOWN]
    rest += _sections(
        "*Open commitments*",
        [commitment_line(item) for item in shown],
        view.commitments_total - len(shown),
        "_Nothing open: no renewal within 90 days, no milestone due, nothing queued, no open ticket._",
    )
    events = view.timeline[:TIMELINE_SHOWN]
    rest += _sections(
        f"*Last 90 days* (since {slack_day(view.since)}, newest first)",
        [timeline_line(item) for item in events],
        view.timeline_total - len(events),
        "_No touches, replies, tickets or context events in the last 90 days._",
    )
    rest.append(DividerBlock())
    blocks = [block.to_dict() for block in top + rest]
    evidence = brief_blocks(brief)
    room = MESSAGE_BLOCKS - len(blocks)
    if len(evidence) > room:  # keep the brief's beginning and its provenance line
        evidence = [*evidence[: room - 1], evidence[-1]] if room > 1 else []
    return text, blocks + evidence


def _closed_note() -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text="↩️ Already handed back to Tandem.")])


def mark_handed_back(blocks: list[dict[str, Any]], line: str) -> list[dict[str, Any]]:
    """The posted packet with its Hand back button replaced by who handed it back, and when."""
    note = ContextBlock(block_id=HandOffBlock.ACTIONS, elements=[MarkdownTextObject(text=line)]).to_dict()
    return [note if block.get("block_id") == HandOffBlock.ACTIONS else block for block in blocks]


def build_reminder(
    *, account_id: str, account_name: str, holder: str, since: datetime, returns_at: datetime
) -> tuple[str, list[dict[str, Any]]]:
    """The DM before a hold ends by itself: Keep it, or Hand back now."""
    text = f"{escape(account_name)} goes back to Tandem unless you keep it"
    body = (
        f"<@{holder}>, you have held *{escape(account_name)}* since {slack_time(since)}. It goes back to "
        f"Tandem {slack_time(returns_at)}: automation resumes on it. *Keep it* if you're still on it."
    )
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=truncate(body, SECTION_LIMIT))),
        ActionsBlock(
            block_id=HandOffBlock.REMINDER_ACTIONS,
            elements=[
                ButtonElement(
                    text="Keep it", action_id=HandOffAction.KEEP, value=account_id, style="primary"
                ),
                ButtonElement(text="Hand back now", action_id=HandOffAction.HAND_BACK_NOW, value=account_id),
            ],
        ),
    ]
    return text, [block.to_dict() for block in blocks]


def build_reminder_outcome(line: str) -> tuple[str, list[dict[str, Any]]]:
    """The reminder once answered: its buttons give way to what happened."""
    return line, [SectionBlock(text=MarkdownTextObject(text=truncate(line, SECTION_LIMIT))).to_dict()]


def build_handed_back_notice(
    *, account_name: str, held_since: datetime | None, at: datetime
) -> tuple[str, list[dict[str, Any]]]:
    """To the holder when the hold ran out: the account is Tandem's again."""
    since = f" (held since {slack_time(held_since)})" if held_since else ""
    line = (
        f"↩️ *{escape(account_name)}* went back to Tandem {slack_time(at)}{since}: automation handles it "
        "again. Take over a new card on it to hold it again."
    )
    return f"{escape(account_name)} went back to Tandem", [
        SectionBlock(text=MarkdownTextObject(text=line)).to_dict()
    ]
