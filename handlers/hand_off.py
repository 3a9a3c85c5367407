"""Hand back to Tandem (on a take-over's hand-off packet), and Keep it / Hand back now (on the
reminder before a hold ends by itself): ack, call the workflow, show the outcome."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.blocks.hand_off import build_reminder_outcome
from bot.deps import Deps
from bot.ids import HandOffAction
from bot.slack_payloads import MalformedRequest, action_value
from bot.workflows.hand_off import hand_back as hand_off
from bot.workflows.refused import Refused
from handlers.replies import tell_clicker

ACCOUNT_ID_CHARS = 64  # storage.models.Account.account_id


def account_id_from(body: dict[str, Any]) -> str:
    """The account id in the clicked button's value (MalformedRequest, a 400, when it is not ours)."""
    value = action_value(body)
    if not value or len(value) > ACCOUNT_ID_CHARS or not value.isprintable() or value != value.strip():
        raise MalformedRequest("not one of Tandem's account ids")
    return value


def _update_clicked(body: dict[str, Any], client: WebClient, line: str) -> None:
    """The reminder the buttons were on: its buttons give way to what happened."""
    container = body.get("container") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    if channel and ts:
        text, blocks = build_reminder_outcome(line)
        client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)


def register(app: App, deps: Deps) -> None:
    @app.action(HandOffAction.HAND_BACK)  # on the packet
    @app.action(HandOffAction.HAND_BACK_NOW)  # on the reminder, which then says what happened
    def hand_back(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        account_id = account_id_from(body)
        ack()
        outcome = hand_off.hand_back(deps, account_id=account_id, actor=body["user"]["id"])
        if isinstance(outcome, Refused):
            tell_clicker(body, respond, client, outcome.message)
            return
        hand_off.show_handed_back(deps, outcome)
        if (body.get("actions") or [{}])[0].get("action_id") == HandOffAction.HAND_BACK_NOW:
            _update_clicked(body, client, outcome.line)

    @app.action(HandOffAction.KEEP)
    def keep(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        account_id = account_id_from(body)
        ack()
        outcome = hand_off.keep(deps, account_id=account_id, actor=body["user"]["id"])
        if isinstance(outcome, Refused):
            tell_clicker(body, respond, client, outcome.message)
            return
        _update_clicked(body, client, outcome.line)
