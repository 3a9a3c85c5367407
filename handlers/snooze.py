"""Snooze a card: the menu's "Snooze…" opens the modal (handlers.dismiss routes the menu), its
submission calls the workflow; a refusal shows in the modal, nothing changes."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.blocks.slack_dates import slack_time
from bot.blocks.snooze_modal import build_snooze_modal, submitted_mode
from bot.deps import Deps
from bot.ids import SnoozeModal
from bot.slack_payloads import view_row_id
from bot.workflows import snooze
from bot.workflows.card_messages import attention_config
from bot.workflows.refused import Refused


def open_snoozer(
    deps: Deps, *, card_id: int, body: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    """The menu's "Snooze…": the modal for someone who may snooze the card, else why not."""
    ready = snooze.may_snooze(deps, card_id=card_id, actor=body["user"]["id"])
    if isinstance(ready, Refused):
        respond(text=ready.message, response_type="ephemeral", replace_original=False)
        return
    with deps.session_factory() as session:
        points = attention_config(session).snooze_wake_points
    modal = build_snooze_modal(card_id=card_id, account_name=ready.account_name, wake_points=points)
    client.views_open(trigger_id=body["trigger_id"], view=modal)


def describe(outcome: snooze.Snoozed) -> str:
    until = f"until {slack_time(outcome.until)}" if outcome.until else "until it gets worse"
    if outcome.already:
        return f"{outcome.account_name}'s card is already snoozed {until}. Nothing was changed."
    return f"Snoozed {outcome.account_name}'s card {until}."


def register(app: App, deps: Deps) -> None:
    @app.view(SnoozeModal.CALLBACK)
    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        card_id = view_row_id(view)  # metadata we did not write: 400
        mode = submitted_mode(view.get("state", {}))
        outcome = snooze.snooze_card(deps, card_id=card_id, actor=body["user"]["id"], mode=mode)
        if isinstance(outcome, Refused):
            ack(response_action="errors", errors={SnoozeModal.MODE_BLOCK: outcome.message})
            return
        ack()
