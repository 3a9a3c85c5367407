"""The digest's "Open card": a card that waited over the day's budget is drafted and posted."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.deps import Deps
from bot.ids import DigestAction
from bot.slack_payloads import action_value, row_id
from bot.workflows.deferred_cards import Opened, open_deferred_card
from handlers.errors import report_failure


def register(app: App, deps: Deps) -> None:
    def acknowledge(ack: Ack, body: dict[str, Any]) -> None:
        row_id(action_value(body))  # a value that is not one of our card ids: 400, nothing runs
        ack()

    def open_card(body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        actor = body["user"]["id"]
        try:
            outcome = open_deferred_card(deps, card_id=row_id(action_value(body)), actor=actor)
        except Exception as error:  # lazy listeners are outside Bolt's error handler
            report_failure(error, respond=respond if body.get("response_url") else None)
            return
        if isinstance(outcome, Opened):
            text = f"The {outcome.account_name} card is in your DM now."
        else:
            text = outcome.message
        if body.get("response_url"):
            respond(text=text, response_type="ephemeral", replace_original=False)
        else:  # a click in the Home tab has no response_url: answer in the app's DM
            client.chat_postMessage(channel=actor, text=text)

    # Drafting may call an LLM: acknowledge first, do the work after (a lazy listener).
    app.action(DigestAction.OPEN_CARD)(ack=acknowledge, lazy=[open_card])
