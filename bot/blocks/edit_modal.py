"""The Edit modal: the draft prefilled; its private_metadata carries only the card id."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, InputBlock, MarkdownTextObject, PlainTextInputElement
from slack_sdk.models.views import View

from bot.ids import EditModal

MAX_DRAFT_CHARS = 3000  # Slack's limit for a plain_text_input
TITLE_LIMIT = 24


def build_edit_modal(*, card_id: int, account_name: str, draft_body: str) -> dict[str, Any]:
    blocks: list[Block] = [
        InputBlock(
            block_id=EditModal.DRAFT_BLOCK,
            label="Message to the customer",
            element=PlainTextInputElement(
                action_id=EditModal.DRAFT_INPUT,
                multiline=True,
                initial_value=draft_body[:MAX_DRAFT_CHARS],
                max_length=MAX_DRAFT_CHARS,
            ),
            hint="Submitting approves this text: it is queued to send as written.",
        )
    ]
    if len(draft_body) > MAX_DRAFT_CHARS:
        note = f"⚠️ The draft was longer than {MAX_DRAFT_CHARS:,} characters; only the first {MAX_DRAFT_CHARS:,} are shown and would be sent."
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=note)]))
    title = f"Edit: {account_name}"
    view = View(
        type="modal",
        callback_id=EditModal.CALLBACK,
        private_metadata=str(card_id),
        title=title if len(title) <= TITLE_LIMIT else title[: TITLE_LIMIT - 1] + "…",
        submit="Approve edited",
        close="Cancel",
        blocks=blocks,
    )
    return view.to_dict()


def edited_text(view_state: dict[str, Any]) -> str:
    """The submitted text from a view_submission's `view.state.values`."""
    block = view_state.get("values", {}).get(EditModal.DRAFT_BLOCK, {})
    return str(block.get(EditModal.DRAFT_INPUT, {}).get("value") or "")
