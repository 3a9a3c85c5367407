"""A customer email Tandem could not send, as ops and the owning CSM see it, with Retry (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, MarkdownTextObject, SectionBlock

from bot.blocks.mrkdwn import escape, truncate
from bot.ids import OutreachAction

ERROR_SHOWN = 300


@dataclass(frozen=True)
class OutreachFailureView:
    outbox_id: int
    account_name: str
    recipient: str
    subject: str
    attempts: int
    last_error: str
    owner_slack_id: str


def retry_button(outbox_id: int) -> ButtonElement:
    return ButtonElement(text="Retry", action_id=OutreachAction.RETRY, value=str(outbox_id))


def build_outreach_failure_notice(view: OutreachFailureView) -> tuple[str, list[dict[str, Any]]]:
    text = f"Tandem could not send an email to {view.account_name} after {view.attempts} attempts"
    line = (
        f"📭 Tandem could not send “{escape(truncate(view.subject, 150))}” to *{escape(view.account_name)}* "
        f"({escape(view.recipient)}) after {view.attempts} attempts over several hours; it is *not sent*. "
        f"The account's CSM is <@{view.owner_slack_id}>.\n"
        f"Last error: `{escape(truncate(view.last_error, ERROR_SHOWN))}`"
    )
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=truncate(line, 3000))),
        ActionsBlock(elements=[retry_button(view.outbox_id)]),
    ]
    return text, [block.to_dict() for block in blocks]
