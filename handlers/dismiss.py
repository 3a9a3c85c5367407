"""The menu beside a card's "Why": Dismiss as a false alarm (a modal asks why), Always human
(the CSM's veto on the account), Quiet until it gets worse (an exception on the account's
trigger), or Snooze… (a modal asks how long, handlers.snooze). A known-context dismissal may owe the owner an exception offer, posted after the ack."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.blocks.account_exception import outcome_line
from bot.blocks.dismiss_modal import build_dismiss_modal, submitted_reason
from bot.deps import Deps
from bot.ids import CardMenu, DismissModal
from bot.slack_payloads import action_value, row_id, view_row_id
from bot.workflows import card_decisions, veto
from bot.workflows.card_decisions import Decided, EditorReady
from bot.workflows.exceptions import offers, setting
from handlers import snooze
from handlers.cards import show_decided, tell_privately, update_card
from handlers.replay_guard import once_per_signed_request


def register(app: App, deps: Deps) -> None:
    # "Always human" sets a veto like /veto does: a replay after the CSM lifted it must not re-set it.
    @app.action(CardMenu.MORE, middleware=[once_per_signed_request(deps, kind=CardMenu.MORE)])
    def open_dismisser(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        verb, _, value = action_value(body).partition(":")
        card_id = row_id(value)  # an option value this version did not build: 400
        ack()
        if verb == CardMenu.VETO:
            outcome_text = veto.describe(veto.veto_from_card(deps, card_id=card_id, actor=body["user"]["id"]))
            respond(text=outcome_text, response_type="ephemeral", replace_original=False)
            return
        if verb == CardMenu.QUIET:
            quiet = setting.quiet_from_card(deps, card_id=card_id, actor=body["user"]["id"])
            if not isinstance(quiet, setting.QuietSet):
                tell_privately(respond, quiet)
                return
            update_card(client, quiet.card, body)
            text = outcome_line(quiet.exception)
            respond(text=text, response_type="ephemeral", replace_original=False)
            return
        if verb == CardMenu.SNOOZE:
            snooze.open_snoozer(deps, card_id=card_id, body=body, client=client, respond=respond)
            return
        if verb != CardMenu.DISMISS:
            return
        outcome = card_decisions.check_pending(deps, card_id=card_id, actor=body["user"]["id"])
        if not isinstance(outcome, EditorReady):
            tell_privately(respond, outcome)
            return
        modal = build_dismiss_modal(card_id=card_id, account_name=outcome.view.account_name)
        client.views_open(trigger_id=body["trigger_id"], view=modal)

    @app.view(DismissModal.CALLBACK)
    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        card_id = view_row_id(view)  # metadata we did not write: 400
        reason, note = submitted_reason(view.get("state", {}))
        outcome = card_decisions.dismiss(
            deps, card_id=card_id, actor=body["user"]["id"], reason=reason, note=note
        )
        if not isinstance(outcome, Decided):
            ack(
                response_action="errors",
                errors={DismissModal.REASON_BLOCK: outcome.message or "Not saved."},
            )
            return
        ack()
        show_decided(deps, client, outcome)
        if outcome.offered:
            offers.deliver_offers(deps)
