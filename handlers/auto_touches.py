"""The Cancel button on an automated touch waiting out its hold window (digest and Home tab)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.deps import Deps
from bot.ids import AutoTouchAction
from bot.slack_payloads import action_value, row_id
from bot.workflows.auto_touches import cancel_automated_touch, describe
from handlers.replies import tell_clicker


def register(app: App, deps: Deps) -> None:
    @app.action(AutoTouchAction.CANCEL)
    def cancel(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        outbox_id = row_id(action_value(body))
        ack()
        outcome = cancel_automated_touch(deps, outbox_id=outbox_id, actor=body["user"]["id"])
        tell_clicker(body, respond, client, describe(outcome))
