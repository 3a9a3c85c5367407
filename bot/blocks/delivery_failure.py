"""A Slack message Tandem could not deliver, as ops sees it: what, to whom, why, and Retry (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, MarkdownTextObject, SectionBlock

from bot.blocks.mrkdwn import escape, truncate
from bot.blocks.slack_dates import slack_time
from bot.ids import DeliveryAction

KIND_WORDS = {
    "card": "a card",
    "escalation_notice": "an escalation notice",
    "breaker_alert": "a circuit-breaker alert",
    "delivery_failed": "a delivery-failure notice",
    "digest": "a morning digest",
    "ops_alert": "an ops alert",
    "exception_offer": "an exception offer",
    "tuning": "a trigger-tuning message",
    "calibration": "a calibration proposal",
    "calibration_chart": "a calibration's reliability diagram",
    "card_copy": "a card's copy (to a manager, the escalation channel, or back from a snooze)",
    "card_update": "an update of a card's message",
    "hand_off": "a hand-off packet",
    "hand_back": "a hand-back reminder",
    "assistant_answer": "an answer of the assistant",
}
ERROR_SHOWN = 300


@dataclass(frozen=True)
class FailureView:
    delivery_id: int
    kind: str
    recipient: str
    attempts: int
    last_error: str
    created_at: datetime
    summary: str  # the message's own fallback text, when it has one


def failure_section(view: FailureView) -> list[dict[str, Any]]:
    """One failure with its Retry button (the notice and App Home's ops view share it)."""
    what = KIND_WORDS.get(view.kind, view.kind)
    about = f" — “{escape(truncate(view.summary, 200))}”" if view.summary else ""
    line = (
        f"⚠️ Tandem could not deliver {what} to <@{view.recipient}> (owed since "
        f"{slack_time(view.created_at)}, {view.attempts} attempts){about}\n"
        f"Last error: `{escape(truncate(view.last_error, ERROR_SHOWN))}`"
    )
    return [
        SectionBlock(text=MarkdownTextObject(text=truncate(line, 3000))).to_dict(),
        ActionsBlock(
            elements=[
                ButtonElement(text="Retry", action_id=DeliveryAction.RETRY, value=str(view.delivery_id))
            ]
        ).to_dict(),
    ]


def build_failure_notice(view: FailureView) -> tuple[str, list[dict[str, Any]]]:
    what = KIND_WORDS.get(view.kind, view.kind)
    return f"Tandem could not deliver {what} to a colleague after {view.attempts} attempts", failure_section(
        view
    )
