"""Ops' Retry on a Slack message Tandem could not deliver (the failure notice and App Home)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.delivery.failures import retry_failed
from bot.deps import Deps
from bot.ids import DeliveryAction
from bot.slack_payloads import action_value, row_id


def register(app: App, deps: Deps) -> None:
    @app.action(DeliveryAction.RETRY)
    def retry(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        delivery_id = row_id(action_value(body))
        ack()
        actor = body["user"]["id"]
        message = retry_failed(deps, delivery_id=delivery_id, actor=actor)
        if body.get("response_url"):
            respond(text=message, response_type="ephemeral", replace_original=False)
        else:  # a click in the Home tab has no response_url: answer in the app's DM
            client.chat_postMessage(channel=actor, text=message)
