"""The audit card: a near miss below a trigger's line, asked about with Worth a look / Not needed.

A pure function of an AuditCardView. No draft and no Approve / Edit / Take over: Tandem
proposes nothing here, it asks whether the account it would have left alone deserved a
person's time. Once answered, the same builder shows who answered and when.
"""

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
from bot.blocks.slack_dates import slack_time
from bot.ids import AuditAction, AuditBlock
from bot.workflows.audit.view import AuditCardView

QUESTION = "Tandem would not have flagged this one. Worth a look?"
HEADER_LIMIT = 150
FIELD_LIMIT = 2000
ANSWERS = {
    "worth_a_look": "👀 Worth a look, said {who} at {when}. Thanks: this tells Tandem what its triggers miss.",
    "not_needed": "👍 Not needed, said {who} at {when}. Thanks: the line held here.",
}


def build_audit_card_message(view: AuditCardView) -> tuple[str, list[dict[str, Any]]]:
    """The plain-text fallback and the blocks for one audit card."""
    trigger = view.trigger.replace("_", " ")
    text = f"{escape(view.account_name)}: audit · {trigger} nearly fired · health {_health(view)}"
    blocks: list[Block] = [
        HeaderBlock(
            text=truncate(f"{_band_emoji(view)} {view.account_name} · health {_health(view)}", HEADER_LIMIT)
        ),
        SectionBlock(text=MarkdownTextObject(text=f"*{QUESTION}*")),
        SectionBlock(fields=_fields(view)),
    ]
    if view.explanation:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=truncate(escape(view.explanation)))]))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_why_you(view))]))
    blocks.append(DividerBlock())
    if view.is_pending:
        value = str(view.card_id)  # ids only: the card's state lives in the database
        blocks.append(
            ActionsBlock(
                block_id=AuditBlock.ACTIONS,
                elements=[
                    ButtonElement(
                        text="Worth a look", action_id=AuditAction.WORTH_A_LOOK, value=value, style="primary"
                    ),
                    ButtonElement(text="Not needed", action_id=AuditAction.NOT_NEEDED, value=value),
                ],
            )
        )
    else:
        answer = answer_line(view)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=answer)]))
        text = f"{text} — {answer}"
    return text, [block.to_dict() for block in blocks]


def answer_line(view: AuditCardView) -> str:
    when = slack_time(view.decided_at) if view.decided_at else "an unknown time"
    who = f"<@{view.decided_by}>" if view.decided_by else "someone"
    return ANSWERS.get(view.state, "Closed ({state}) by {who} at {when}.").format(
        who=who, when=when, state=view.state.replace("_", " ")
    )


def _health(view: AuditCardView) -> str:
    return (
        f"{view.score} ({view.band})"
        if view.score is not None and view.band
        else str(view.score or "not scored")
    )


def _band_emoji(view: AuditCardView) -> str:
    return BAND_EMOJI.get(view.band or "", "⚪")


def _fields(view: AuditCardView) -> list[MarkdownTextObject]:
    return [
        MarkdownTextObject(
            text=truncate(
                f"*Account*\n{escape(view.account_id)} · {view.segment.replace('_', ' ')}", FIELD_LIMIT
            )
        ),
        MarkdownTextObject(text=f"*ARR*\n{money(view.arr)}"),
        MarkdownTextObject(text=truncate(f"*Nearly fired*\n`{escape(view.trigger)}`", FIELD_LIMIT)),
        MarkdownTextObject(text=truncate(f"*Where it stands*\n{escape(view.summary)}", FIELD_LIMIT)),
    ]


def _why_you(view: AuditCardView) -> str:
    odds = f"about 1 in {round(1 / view.propensity)}" if view.propensity > 0 else "a random few"
    return (
        f"🔍 An audit card: a random sample ({odds}) of accounts just short of a trigger's line, "
        "at most one a week. Nothing is sent to the customer; your answer shows what the triggers miss."
    )
