"""Approve, Edit and Take over on an escalation card."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.blocks.edit_modal import build_edit_modal
from bot.blocks.escalation_card import build_card_message
from bot.deps import Deps
from bot.ids import CardAction
from bot.workflows import card_decisions
from bot.workflows.card_decisions import Decided, Outcome
from bot.workflows.card_views import load_card_view
from handlers.replies import NOT_AUTHORIZED, private_reply
from storage.repositories import users


def card_id_from(body: dict[str, Any]) -> int:
    return int(body["actions"][0]["value"])


def update_card(client: WebClient, outcome: Decided, body: dict[str, Any] | None = None) -> None:
    """Re-render the decided card in place: the buttons give way to who decided and when."""
    container = (body or {}).get("container", {})
    channel = outcome.channel_id or container.get("channel_id")
    ts = outcome.message_ts or container.get("message_ts")
    if channel and ts:
        text, blocks = build_card_message(outcome.view)
        client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)


def reply_or_update(outcome: Outcome, *, client: WebClient, respond: Respond, body: dict[str, Any]) -> None:
    if isinstance(outcome, Decided):
        update_card(client, outcome, body)
        return
    message = private_reply(outcome)
    if message:
        respond(text=message, response_type="ephemeral", replace_original=False)


def register(app: App, deps: Deps) -> None:
    @app.action(CardAction.APPROVE)
    def approve(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        outcome = card_decisions.approve(deps, card_id=card_id_from(body), actor=body["user"]["id"])
        reply_or_update(outcome, client=client, respond=respond, body=body)

    @app.action(CardAction.TAKE_OVER)
    def take_over(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        outcome = card_decisions.take_over(deps, card_id=card_id_from(body), actor=body["user"]["id"])
        reply_or_update(outcome, client=client, respond=respond, body=body)

    @app.action(CardAction.EDIT)
    def open_editor(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        card_id, actor = card_id_from(body), body["user"]["id"]
        with deps.session_factory() as session:
            view = load_card_view(session, card_id=card_id)
            user = users.get_user(session, slack_id=actor)
            owner = users.get_user(session, slack_id=view.recipient_slack_id) if view else None
            allowed = view is not None and users.can_decide_for(
                user,
                owner_slack_id=view.recipient_slack_id,
                owner_manager_slack_id=owner.manager_slack_id if owner else None,
            )
        if view is None:
            respond(text="This card no longer exists.", response_type="ephemeral", replace_original=False)
        elif not allowed:
            respond(text=NOT_AUTHORIZED, response_type="ephemeral", replace_original=False)
        elif view.state != "pending":
            when = f" at {view.decided_at:%Y-%m-%d %H:%M} UTC" if view.decided_at else ""
            respond(
                text=f"Already handled: {view.state.replace('_', ' ')} by <@{view.decided_by}>{when}. Nothing was changed.",
                response_type="ephemeral",
                replace_original=False,
            )
        else:
            modal = build_edit_modal(
                card_id=card_id, account_name=view.account_name, draft_body=view.draft_body or ""
            )
            client.views_open(trigger_id=body["trigger_id"], view=modal)
