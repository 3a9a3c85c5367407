"""Account exceptions: the offer's *Quiet until it gets worse* and *No thanks* (the owner's DM),
and *Lift* (App Home). Ack, call the workflow, show the outcome."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.blocks.account_exception import build_offer_message
from bot.deps import Deps
from bot.ids import ExceptionAction
from bot.slack_payloads import action_value, row_id
from bot.workflows.exceptions import setting
from bot.workflows.refused import Refused
from handlers.home import republish_home
from handlers.replies import tell_clicker


def register(app: App, deps: Deps) -> None:
    @app.action(ExceptionAction.ACCEPT)
    def accept(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        exception_id = row_id(action_value(body))  # not one of ours: a 400, before the ack
        ack()
        answer(
            setting.accept_offer(deps, exception_id=exception_id, actor=body["user"]["id"]),
            body,
            client,
            respond,
        )

    @app.action(ExceptionAction.DECLINE)
    def decline(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        exception_id = row_id(action_value(body))
        ack()
        answer(
            setting.decline_offer(deps, exception_id=exception_id, actor=body["user"]["id"]),
            body,
            client,
            respond,
        )

    @app.action(ExceptionAction.LIFT)
    def lift(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        exception_id = row_id(action_value(body))
        ack()
        actor = body["user"]["id"]
        outcome = setting.lift_exception(deps, exception_id=exception_id, actor=actor)
        tell_clicker(body, respond, client, outcome.message)
        if isinstance(outcome, setting.ExceptionDone):
            republish_home(deps, client, actor=actor, body=body)


def answer(
    outcome: setting.ExceptionOutcome, body: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    """The offer re-rendered in place (its buttons give way to the answer), or a private reply."""
    if isinstance(outcome, Refused):
        tell_clicker(body, respond, client, outcome.message)
        return
    container = body.get("container", {})
    if container.get("channel_id") and container.get("message_ts"):
        text, blocks = build_offer_message(outcome.view)
        client.chat_update(
            channel=container["channel_id"], ts=container["message_ts"], text=text, blocks=blocks
        )
