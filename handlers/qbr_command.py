"""`/qbr ACCOUNT`: acknowledged at once; the brief, its chart and its Markdown copy follow in the
requester's DM with Tandem (a thread holds the files), and a private reply says where."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.blocks.qbr import ready_message
from bot.deps import Deps
from bot.ids import Command
from bot.workflows.qbr import QBRBrief, build_qbr
from bot.workflows.qbr_delivery import deliver_qbr
from handlers.brief_command import query_from
from handlers.errors import report_failure

USAGE = "Usage: `/qbr ACCOUNT` — an account name or id, e.g. `/qbr Acme Corp` or `/qbr ACC-00042`."


def register(app: App, deps: Deps) -> None:
    def acknowledge(ack: Ack, command: dict[str, Any]) -> None:
        query = query_from(command)
        if not query:
            ack(text=USAGE, response_type="ephemeral")
            return
        ack(
            text=f"Preparing the QBR brief for “{query}” (brief, chart and Markdown)…",
            response_type="ephemeral",
        )

    def answer(command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        query = query_from(command)
        if not query:
            return  # the ack already explained the usage
        user_id = str(command.get("user_id") or "")
        try:
            result = build_qbr(deps, query=query, actor=user_id)
            if not isinstance(result, QBRBrief):
                respond(text=result.message(), response_type="ephemeral")
                return
            deliver_qbr(client, user_id=user_id, brief=result)
            respond(text=ready_message(result), response_type="ephemeral")
        except Exception as error:  # Bolt only logs lazy failures; the requester must hear of it
            report_failure(error, respond=respond)

    app.command(Command.QBR)(ack=acknowledge, lazy=[answer])
