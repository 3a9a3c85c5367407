"""Retry on a customer email that failed for good (the ops notice and the CSM's digest)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.delivery.outreach_failures import retry_failed_outreach
from bot.deps import Deps
from bot.ids import OutreachAction
from bot.slack_payloads import action_value, row_id
from handlers.replies import tell_clicker


def register(app: App, deps: Deps) -> None:
    @app.action(OutreachAction.RETRY)
    def retry(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        outbox_id = row_id(action_value(body))  # not one of ours: a 400, before the ack
        ack()
        tell_clicker(
            body, respond, client, retry_failed_outreach(deps, outbox_id=outbox_id, actor=body["user"]["id"])
        )
