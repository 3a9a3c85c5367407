"""Retry on a customer email that failed for good (the ops notice and the CSM's digest)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.delivery.outreach_failures import retry_failed_outreach
from bot.deps import Deps
from bot.ids import OutreachAction
from handlers.replies import id_button, tell_clicker


def register(app: App, deps: Deps) -> None:
    @app.action(OutreachAction.RETRY)
    def retry(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        text = id_button(
            body, lambda id_, actor: retry_failed_outreach(deps, outbox_id=id_, actor=actor), what="message"
        )
        tell_clicker(body, respond, client, text)
