"""`/brief ACCOUNT`: acknowledged at once, answered privately when the brief is ready."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.blocks.brief import build_brief_message
from bot.deps import Deps
from bot.ids import Command
from bot.workflows.brief import Brief, build_brief
from handlers.errors import report_failure

USAGE = "Usage: `/brief ACCOUNT` — an account name or id, e.g. `/brief Acme Corp` or `/brief ACC-00042`."


def query_from(command: dict[str, Any]) -> str:
    return " ".join(str(command.get("text") or "").split())


def register(app: App, deps: Deps) -> None:
    def acknowledge(ack: Ack, command: dict[str, Any]) -> None:
        query = query_from(command)
        if not query:
            ack(text=USAGE, response_type="ephemeral")
            return
        ack(text=f"Preparing the brief for “{query}”…", response_type="ephemeral")

    def answer(command: dict[str, Any], respond: Respond) -> None:
        query = query_from(command)
        if not query:
            return  # the ack already explained the usage
        try:
            result = build_brief(deps, query=query, actor=str(command.get("user_id") or ""))
            if not isinstance(result, Brief):
                respond(text=result.message(), response_type="ephemeral")
                return
            text, blocks = build_brief_message(result.account.name, result.result, result.citations)
            respond(text=text, blocks=blocks, response_type="ephemeral")
        except Exception as error:  # Bolt only logs lazy failures; the requester must hear of it
            report_failure(error, respond=respond)

    app.command(Command.BRIEF)(ack=acknowledge, lazy=[answer])
