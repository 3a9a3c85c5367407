"""The Cancel button on an automated touch waiting out its hold window (digest and Home tab)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.deps import Deps
from bot.ids import AutoTouchAction
from bot.slack_payloads import action_value, row_id
from bot.workflows.auto_touches import cancel_automated_touch, describe


def register(app: App, deps: Deps) -> None:
    @app.action(AutoTouchAction.CANCEL)
    def cancel(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        outbox_id = row_id(action_value(body))
        ack()
        actor = body["user"]["id"]
        outcome = cancel_automated_touch(deps, outbox_id=outbox_id, actor=actor)
        if body.get("response_url"):
            respond(text=describe(outcome), response_type="ephemeral", replace_original=False)
        else:  # a click in the Home tab has no response_url: answer in the app's DM
            client.chat_postMessage(channel=actor, text=describe(outcome))
