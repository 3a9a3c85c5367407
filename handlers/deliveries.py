"""Ops' Retry on a Slack message Tandem could not deliver (the failure notice and App Home)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.delivery.failures import retry_failed
from bot.deps import Deps
from bot.ids import DeliveryAction
from bot.slack_payloads import action_value, row_id
from handlers.replies import tell_clicker


def register(app: App, deps: Deps) -> None:
    @app.action(DeliveryAction.RETRY)
    def retry(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        delivery_id = row_id(action_value(body))  # not one of ours: a 400, before the ack
        ack()
        tell_clicker(
            body, respond, client, retry_failed(deps, delivery_id=delivery_id, actor=body["user"]["id"])
        )
