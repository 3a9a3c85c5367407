"""The Dismiss modal: a reason from named options and an optional note; metadata is the id."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import InputBlock, Option, PlainTextInputElement, StaticSelectElement
from slack_sdk.models.views import View

from bot.ids import DismissModal
from storage.enums import DismissReason

NOTE_LIMIT = 500


def build_dismiss_modal(*, card_id: int, account_name: str) -> dict[str, Any]:
    view = View(
        type="modal",
        callback_id=DismissModal.CALLBACK,
        private_metadata=str(card_id),
        title=f"Dismiss: {account_name}"[:24],
        submit="Dismiss",
        close="Cancel",
        blocks=[
            InputBlock(
                block_id=DismissModal.REASON_BLOCK,
                label="Why is this a false alarm?",
                element=StaticSelectElement(
                    action_id=DismissModal.REASON_INPUT,
                    placeholder="Choose a reason",
                    options=[Option(value=reason.value, text=reason.label) for reason in DismissReason],
                ),
            ),
            InputBlock(
                block_id=DismissModal.NOTE_BLOCK,
                label="Note for ops (optional)",
                optional=True,
                element=PlainTextInputElement(
                    action_id=DismissModal.NOTE_INPUT, multiline=True, max_length=NOTE_LIMIT
                ),
            ),
        ],
    )
    return view.to_dict()


def submitted_reason(view_state: dict[str, Any]) -> tuple[str, str]:
    """(reason value, note) from a view_submission's `view.state`."""
    values = view_state.get("values", {})
    selected = (
        values.get(DismissModal.REASON_BLOCK, {}).get(DismissModal.REASON_INPUT, {}).get("selected_option")
    )
    note = values.get(DismissModal.NOTE_BLOCK, {}).get(DismissModal.NOTE_INPUT, {}).get("value") or ""
    return (str(selected.get("value", "")) if isinstance(selected, dict) else ""), str(note).strip()
