"""The escalation card: a pure function of a CardView (its state decides its buttons)."""

from __future__ import annotations

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

from bot.blocks.mrkdwn import BAND_EMOJI, escape, money, truncate
from bot.ids import CardAction, CardBlock
from bot.workflows.card_views import CardView

ROUTE_LABELS = {
    "assist": "Assist: review the draft",
    "human": "Human: you handle it",
    "escalate": "Escalate: you and your manager, now",
    "auto": "Automated",
    "hold": "On hold",
}
OUTCOMES = {
    "approved": "✅ Approved by {who} at {when}; the draft is queued to send.",
    "edited": "✏️ Edited and approved by {who} at {when}; the edited text is queued to send.",
    "taken_over": "🙋 Taken over by {who} at {when}. This account is now human-handled; automation is paused.",
    "dismissed": "🚫 Dismissed by {who} at {when}.",
}
DRAFT_LIMIT = 2600  # leaves room for the heading inside Slack's 3,000-character section


def build_card_message(view: CardView) -> tuple[str, list[dict[str, Any]]]:
    health = f"{view.score} ({view.band})" if view.score is not None else "not scored"
    text = f"{view.account_name}: {view.trigger.replace('_', ' ')} · {ROUTE_LABELS.get(view.route, view.route)} · health {health}"
    emoji = BAND_EMOJI.get(view.band or "", "⚪")
    blocks: list[Block] = [
        HeaderBlock(text=truncate(f"{emoji} {view.account_name} · health {health}", 150)),
        SectionBlock(
            fields=[
                MarkdownTextObject(
                    text=f"*Account*\n{escape(view.account_id)} · {view.segment.replace('_', ' ')}"
                ),
                MarkdownTextObject(text=f"*ARR*\n{money(view.arr)}"),
                MarkdownTextObject(
                    text=f"*Trigger*\n`{view.trigger}`"
                    + (f" (also {', '.join(view.also_fired)})" if view.also_fired else "")
                ),
                MarkdownTextObject(text=f"*Route*\n{ROUTE_LABELS.get(view.route, view.route)}"),
            ]
        ),
        SectionBlock(text=MarkdownTextObject(text=truncate(f"*Why:* {escape(view.why)}"))),
    ]
    if view.reasons:
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=truncate(escape(" ".join(view.reasons)), 2000))])
        )
    if view.draft_body is not None:
        blocks.extend(_draft_blocks(view))
    blocks.append(DividerBlock())
    if view.state == "pending":
        blocks.append(_actions(view))
    else:
        when = f"{view.decided_at:%Y-%m-%d %H:%M} UTC" if view.decided_at else "an unknown time"
        outcome = OUTCOMES.get(view.state, "Decided by {who} at {when}.").format(
            who=f"<@{view.decided_by}>", when=when
        )
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=outcome)]))
        text = f"{text} — {view.state.replace('_', ' ')} by <@{view.decided_by}>"
    return text, [block.to_dict() for block in blocks]


def _draft_blocks(view: CardView) -> list[Block]:
    body = view.final_text if view.state == "edited" and view.final_text else view.draft_body or ""
    quoted = "\n".join(
        f"> {line}" if line else ">" for line in escape(truncate(body, DRAFT_LIMIT)).splitlines()
    )
    heading = "*Sent text*" if view.state == "edited" else "*Proposed message*"
    subject = f" — _{escape(view.draft_subject)}_" if view.draft_subject else ""
    author = view.draft_author or "template"
    source = (
        "Drafted by template (no LLM)"
        if author == "template"
        else f"Drafted by LLM ({escape(author.removeprefix('llm:'))})"
    )
    notes = [source]
    if view.needs_review:
        notes.append(f"⚠️ {escape(view.needs_review)}")
    return [
        SectionBlock(text=MarkdownTextObject(text=truncate(f"{heading}{subject}\n{quoted}"))),
        ContextBlock(elements=[MarkdownTextObject(text=truncate(" · ".join(notes), 2000))]),
    ]


def _actions(view: CardView) -> ActionsBlock:
    value = str(view.card_id)  # ids only: the card's state lives in the database
    buttons: list[ButtonElement] = []
    if view.draft_body is not None:
        buttons.append(
            ButtonElement(text="Approve", action_id=CardAction.APPROVE, value=value, style="primary")
        )
        buttons.append(ButtonElement(text="Edit", action_id=CardAction.EDIT, value=value))
    buttons.append(ButtonElement(text="Take over", action_id=CardAction.TAKE_OVER, value=value))
    return ActionsBlock(block_id=CardBlock.ACTIONS, elements=buttons)


def build_manager_notice(view: CardView, *, csm_slack_id: str) -> tuple[str, list[dict[str, Any]]]:
    """The short DM a manager gets when a card escalates: no buttons, the CSM decides."""
    text = f"Escalation: {view.account_name} needs <@{csm_slack_id}> and you now"
    section = SectionBlock(
        text=MarkdownTextObject(
            text=truncate(
                f"🚨 *{escape(view.account_name)}* ({escape(view.account_id)}) — {escape(' '.join(view.reasons) or view.why)}\nThe card is with <@{csm_slack_id}>."
            )
        )
    )
    return text, [section.to_dict()]
