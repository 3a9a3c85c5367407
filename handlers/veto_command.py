"""`/veto ACCOUNT: why` and `/veto lift ACCOUNT`: the CSM's "always human", answered privately."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.deps import Deps
from bot.ids import Command
from bot.workflows.veto import USAGE, describe, veto_from_command
from handlers.replay_guard import once_per_signed_request


def register(app: App, deps: Deps) -> None:
    @app.command(Command.VETO, middleware=[once_per_signed_request(deps, kind=Command.VETO)])
    def veto(ack: Ack, command: dict[str, Any]) -> None:
        text = (command.get("text") or "").strip()
        if not text:
            ack(text=USAGE, response_type="ephemeral")
            return
        # A few quick queries: answered in the ack itself, well inside Slack's 3 seconds.
        ack(
            text=describe(veto_from_command(deps, text=text, actor=command["user_id"])),
            response_type="ephemeral",
        )
