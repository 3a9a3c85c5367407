"""`/health [@csm]`: acknowledged at once, answered privately with the team's, the CSM's or
the whole book's picture (bot.workflows.team_health)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.blocks.setup_help import setup_text
from bot.blocks.team_health import build_health_blocks, health_text
from bot.deps import Deps
from bot.ids import Command
from bot.workflows.refused import Refused
from bot.workflows.team_health import NotSetUp, team_health_for
from handlers.brief_command import query_from
from handlers.errors import report_failure


def register(app: App, deps: Deps) -> None:
    def acknowledge(ack: Ack) -> None:
        ack(text="Reading the health of your accounts…", response_type="ephemeral")

    def answer(command: dict[str, Any], respond: Respond) -> None:
        try:
            result = team_health_for(deps, actor=str(command.get("user_id") or ""), text=query_from(command))
            if isinstance(result, NotSetUp):
                respond(text=setup_text(result.ops), response_type="ephemeral")
            elif isinstance(result, Refused):
                respond(text=result.message, response_type="ephemeral")
            else:
                respond(
                    text=health_text(result), blocks=build_health_blocks(result), response_type="ephemeral"
                )
        except Exception as error:  # Bolt only logs lazy failures; the requester must hear of it
            report_failure(error, respond=respond)

    app.command(Command.HEALTH)(ack=acknowledge, lazy=[answer])
