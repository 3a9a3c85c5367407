"""What a clicker is told privately when their click changes nothing."""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.blocks.slack_dates import slack_time
from bot.workflows.card_decisions import AlreadyDecided, NotAuthorized, NotFound, Refusal

NOT_AUTHORIZED = "Only the account's CSM, their manager or ops can decide on this card."
NOT_FOUND = "This card no longer exists."


def private_reply(outcome: Refusal) -> str:
    """The ephemeral text for an outcome that changed nothing."""
    if isinstance(outcome, AlreadyDecided):
        when = f" at {slack_time(outcome.decided_at)}" if outcome.decided_at else ""
        who = f"<@{outcome.decided_by}>" if outcome.decided_by else "someone"
        return f"Already handled: {outcome.state.replace('_', ' ')} by {who}{when}. Nothing was changed."
    if isinstance(outcome, NotAuthorized):
        return NOT_AUTHORIZED
    if isinstance(outcome, NotFound):
        return NOT_FOUND
    return outcome.message


def tell_clicker(body: dict[str, Any], respond: Respond, client: WebClient, text: str) -> None:
    """Answer a button click privately: in the channel it came from, or, for a click in the Home
    tab (which has no response_url), in the app's DM with the clicker."""
    if body.get("response_url"):
        respond(text=text, response_type="ephemeral", replace_original=False)
    else:
        client.chat_postMessage(channel=body["user"]["id"], text=text)
