"""The Edit modal's submission: validate, apply, then update the card in place."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.blocks.edit_modal import edited_text
from bot.deps import Deps
from bot.ids import EditModal
from bot.slack_payloads import view_row_id
from bot.workflows import card_decisions
from bot.workflows.card_decisions import Decided
from handlers.cards import show_decided


def register(app: App, deps: Deps) -> None:
    @app.view(EditModal.CALLBACK)
    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        card_id = view_row_id(view)  # metadata we did not write: 400
        text = edited_text(view.get("state", {}))
        if not text.strip():
            ack(response_action="errors", errors={EditModal.DRAFT_BLOCK: card_decisions.EMPTY_TEXT})
            return
        # The decision is one short transaction, so it runs before the ack: a refusal (someone
        # else decided meanwhile, or the user may not decide) is then shown inside the modal,
        # next to the text they typed, instead of being lost with a closed modal.
        outcome = card_decisions.edit_and_approve(deps, card_id=card_id, actor=body["user"]["id"], text=text)
        if not isinstance(outcome, Decided):
            ack(response_action="errors", errors={EditModal.DRAFT_BLOCK: outcome.message})
            return
        ack()
        show_decided(deps, client, outcome)
