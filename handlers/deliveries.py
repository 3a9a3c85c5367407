"""Ops' Retry on a Slack message Tandem could not deliver (the failure notice and App Home)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.delivery.failures import retry_failed
from bot.deps import Deps
from bot.ids import DeliveryAction
from handlers.replies import id_button, tell_clicker


def register(app: App, deps: Deps) -> None:
    @app.action(DeliveryAction.RETRY)
    def retry(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        text = id_button(
            body, lambda id_, actor: retry_failed(deps, delivery_id=id_, actor=actor), what="delivery"
        )
        tell_clicker(body, respond, client, text)
