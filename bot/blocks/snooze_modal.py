"""The Snooze modal: how long a card sleeps (Slack's overflow menu holds five options, so the
four lengths are chosen here); its metadata is the card id (pure)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import InputBlock, Option, RadioButtonsElement, SectionBlock
from slack_sdk.models.views import View

from bot.blocks.mrkdwn import escape
from bot.ids import SnoozeModal
from storage.enums import SnoozeMode

LABELS = {
    SnoozeMode.ONE_DAY: "1 day",
    SnoozeMode.THREE_DAYS: "3 days",
    SnoozeMode.ONE_WEEK: "1 week",
    SnoozeMode.UNTIL_WORSE: "Until it gets worse",
}


def build_snooze_modal(*, card_id: int, account_name: str, wake_points: int) -> dict[str, Any]:
    options = [Option(value=mode.value, text=label) for mode, label in LABELS.items()]
    view = View(
        type="modal",
        callback_id=SnoozeModal.CALLBACK,
        private_metadata=str(card_id),
        title=f"Snooze: {account_name}"[:24],
        submit="Snooze",
        close="Cancel",
        blocks=[
            SectionBlock(
                text=f"*{escape(account_name)}*'s card comes back to you when the time is up, or at once if "
                f"the account's health falls {wake_points} points or a new trigger fires. It waits "
                "nowhere else meanwhile: no reminders, no escalation."
            ),
            InputBlock(
                block_id=SnoozeModal.MODE_BLOCK,
                label="Snooze for",
                element=RadioButtonsElement(
                    action_id=SnoozeModal.MODE_INPUT, options=options, initial_option=options[0]
                ),
            ),
        ],
    )
    return view.to_dict()


def submitted_mode(view_state: dict[str, Any]) -> str:
    """The chosen SnoozeMode value from a view_submission's `view.state` ("" when none)."""
    values = view_state.get("values", {})
    selected = values.get(SnoozeModal.MODE_BLOCK, {}).get(SnoozeModal.MODE_INPUT, {}).get("selected_option")
    return str(selected.get("value", "")) if isinstance(selected, dict) else ""
