"""What a clicker is told privately when their click changes nothing."""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient


def tell_clicker(body: dict[str, Any], respond: Respond, client: WebClient, text: str) -> None:
    """Answer a button click privately: in the channel it came from, or, for a click in the Home
    tab (which has no response_url), in the app's DM with the clicker."""
    if body.get("response_url"):
        respond(text=text, response_type="ephemeral", replace_original=False)
    else:
        client.chat_postMessage(channel=body["user"]["id"], text=text)
