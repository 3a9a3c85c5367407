"""The menu beside a card's "Why": Dismiss as a false alarm (a modal asks why), or Always human
(the CSM's veto on the account)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.blocks.dismiss_modal import build_dismiss_modal, submitted_reason
from bot.deps import Deps
from bot.ids import CardMenu, DismissModal
from bot.workflows import card_decisions, veto
from bot.workflows.card_decisions import Decided, EditorReady
from handlers.cards import tell_privately, update_card
from handlers.replies import private_reply


def register(app: App, deps: Deps) -> None:
    @app.action(CardMenu.MORE)
    def open_dismisser(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        verb, _, card_id = str(body["actions"][0]["selected_option"]["value"]).partition(":")
        if not card_id.isdigit():
            return  # a value this version does not know: nothing to do
        if verb == CardMenu.VETO:
            outcome_text = veto.describe(
                veto.veto_from_card(deps, card_id=int(card_id), actor=body["user"]["id"])
            )
            respond(text=outcome_text, response_type="ephemeral", replace_original=False)
            return
        if verb != CardMenu.DISMISS:
            return
        outcome = card_decisions.check_pending(deps, card_id=int(card_id), actor=body["user"]["id"])
        if not isinstance(outcome, EditorReady):
            tell_privately(respond, outcome)
            return
        modal = build_dismiss_modal(card_id=int(card_id), account_name=outcome.view.account_name)
        client.views_open(trigger_id=body["trigger_id"], view=modal)

    @app.view(DismissModal.CALLBACK)
    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        reason, note = submitted_reason(view.get("state", {}))
        outcome = card_decisions.dismiss(
            deps, card_id=int(view["private_metadata"]), actor=body["user"]["id"], reason=reason, note=note
        )
        if not isinstance(outcome, Decided):
            ack(
                response_action="errors",
                errors={DismissModal.REASON_BLOCK: private_reply(outcome) or "Not saved."},
            )
            return
        ack()
        update_card(client, outcome)
