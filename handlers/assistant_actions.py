"""Confirm and Cancel on a request asked in words (bot.assistant.actions): ack, call the
workflow, tell a refused clicker privately. The workflow updates the Confirm card in place; a
confirmed take-over's hand-off packet is then posted in the card's thread."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.assistant import actions
from bot.deps import Deps
from bot.ids import AssistantActionId
from bot.slack_payloads import action_value, row_id
from bot.workflows.hand_off.packet import deliver_packets
from bot.workflows.refused import Refused


def _clicked_ts(body: dict[str, Any]) -> str | None:
    ts = (body.get("container") or {}).get("message_ts")
    return ts if isinstance(ts, str) else None


def _tell(respond: Respond, outcome: Refused) -> None:
    respond(text=outcome.message, response_type="ephemeral", replace_original=False)


def register(app: App, deps: Deps) -> None:
    @app.action(AssistantActionId.CONFIRM)
    def confirm(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        action_id = row_id(action_value(body))
        ack()
        outcome = actions.confirm(
            deps, action_id=action_id, actor=body["user"]["id"], message_ts=_clicked_ts(body)
        )
        if isinstance(outcome, Refused):
            _tell(respond, outcome)
        elif outcome.take_over and outcome.card_id is not None:
            deliver_packets(
                deps, card_id=outcome.card_id
            )  # the brief may take the LLM a while: after the ack

    @app.action(AssistantActionId.CANCEL)
    def cancel(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        action_id = row_id(action_value(body))
        ack()
        outcome = actions.cancel(
            deps, action_id=action_id, actor=body["user"]["id"], message_ts=_clicked_ts(body)
        )
        if isinstance(outcome, Refused):
            _tell(respond, outcome)
