"""Approve, Edit and Take over on an escalation card: call the workflow, ack, show the outcome.
A take-over's hand-off packet is then posted in the clicked message's thread.

Approve and Take over go through the click inbox (bot.workflows.click_inbox): the click is
stored before the ack, so a click Slack sees answered 200 is never lost, and decided on a few
threads, before the ack when that is quick and after it in a burst. When the database is down
the click fails (500) instead of being acknowledged and dropped; the click again, or Slack's
retry, is then decided once (the click's key and the card's `state = 'pending'` guard it)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.blocks.edit_modal import build_edit_modal
from bot.blocks.escalation_card import build_card_message
from bot.deps import Deps
from bot.ids import CardAction
from bot.slack_payloads import action_value, row_id
from bot.workflows import card_decisions, card_messages, click_inbox
from bot.workflows.card_decisions import Decided, EditorReady
from bot.workflows.click_inbox import Click
from bot.workflows.hand_off.owed import ClickedMessage
from bot.workflows.refused import Refused


def card_id_from(body: dict[str, Any]) -> int:
    """The card id in the clicked button's value (MalformedRequest, a 400, when it is not ours)."""
    return row_id(action_value(body))


def clicked_message(body: dict[str, Any]) -> ClickedMessage | None:
    """The message a button was clicked in (None for a click in App Home or a modal)."""
    container = body.get("container") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    return ClickedMessage(channel, ts) if isinstance(channel, str) and isinstance(ts, str) else None


def update_card(client: WebClient, outcome: Decided, body: dict[str, Any] | None = None) -> None:
    """Re-render the decided card in place: the buttons give way to who decided and when."""
    container = (body or {}).get("container", {})
    channel = outcome.channel_id or container.get("channel_id")
    ts = outcome.message_ts or container.get("message_ts")
    if channel and ts:
        text, blocks = build_card_message(outcome.view)
        client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)


def show_decided(deps: Deps, client: WebClient, outcome: Decided, body: dict[str, Any] | None = None) -> None:
    """Every message the card is in shows the decision (the owner's DM, the manager's, the
    escalation channel's): owed updates, made now and retried if Slack refuses one. A card with
    no recorded message is updated where it was clicked."""
    if outcome.copies:
        card_messages.deliver_card_messages(deps, card_id=outcome.view.card_id)
    else:
        update_card(client, outcome, body)


def tell_privately(respond: Respond, outcome: Refused) -> None:
    """An ephemeral reply to the clicker only; the card itself stays as it is."""
    respond(text=outcome.message, response_type="ephemeral", replace_original=False)


def register(app: App, deps: Deps) -> None:
    def take(action: str, ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        click = Click(
            action=action,
            card_id=card_id_from(body),
            actor=body["user"]["id"],
            action_ts=str((body.get("actions") or [{}])[0].get("action_ts") or body.get("trigger_id") or ""),
            clicked=clicked_message(body),
            response_url=body.get("response_url"),
        )
        click_inbox.take(
            deps,
            click,
            ack=ack,
            update=click_inbox.card_updater(client.chat_update),
            tell=lambda message: tell_privately(respond, Refused(message)),
        )

    @app.action(CardAction.APPROVE)
    def approve(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        take(click_inbox.APPROVE, ack, body, client, respond)

    @app.action(CardAction.TAKE_OVER)
    def take_over(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        take(click_inbox.TAKE_OVER, ack, body, client, respond)

    @app.action(CardAction.EDIT)
    def open_editor(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        card_id = card_id_from(body)
        ack()
        outcome = card_decisions.open_editor(deps, card_id=card_id, actor=body["user"]["id"])
        if not isinstance(outcome, EditorReady):
            tell_privately(respond, outcome)
            return
        view = outcome.view
        modal = build_edit_modal(
            card_id=card_id, account_name=view.account_name, draft_body=view.draft_body or ""
        )
        client.views_open(trigger_id=body["trigger_id"], view=modal)
