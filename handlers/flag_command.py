"""`/flag ACCOUNT: why`: acknowledged at once, the card posted and the flagger told privately."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.deps import Deps
from bot.ids import Command
from bot.workflows.manual_flag import USAGE, Flagged, flag_account
from handlers.errors import report_failure
from handlers.replay_guard import once_per_signed_request


def register(app: App, deps: Deps) -> None:
    def acknowledge(ack: Ack, command: dict[str, Any]) -> None:
        text = (command.get("text") or "").strip()
        ack(text=f"Flagging “{text}”…" if text else USAGE, response_type="ephemeral")

    def answer(command: dict[str, Any], respond: Respond) -> None:
        text = (command.get("text") or "").strip()
        if not text:
            return
        try:
            outcome = flag_account(deps, text=text, actor=str(command.get("user_id") or ""))
            if isinstance(outcome, Flagged):
                message = f"Flagged {outcome.account_name}: a card is with <@{outcome.owner_slack_id}> ({outcome.route.value})."
            else:
                message = outcome.message
            respond(text=message, response_type="ephemeral")
        except Exception as error:  # Bolt only logs lazy failures; the flagger must hear of it
            report_failure(error, respond=respond)

    # A replay of the same signed /flag is answered "already done" before either half runs.
    app.command(Command.FLAG, middleware=[once_per_signed_request(deps, kind=Command.FLAG)])(
        ack=acknowledge, lazy=[answer]
    )
