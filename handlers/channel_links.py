"""Slack Connect channels: Tandem added to a channel (member_joined_channel for its own user, or
channel_shared for a channel it is in), the owner's and ops' decisions (Link, Not this account,
Exclude, Unlink), ops' Link to an account… modal and Purge now. Ack, call the workflow, show
the outcome: the card re-rendered in place, a private line when nothing changed, the Home again
after a click there."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.blocks.channel_link import build_link_modal
from bot.deps import Deps
from bot.ids import ChannelLinkAction, ChannelLinkModal
from bot.slack_payloads import action_value, first_action
from bot.workflows.channels import decisions, joining, retention
from bot.workflows.home import home_view_for
from bot.workflows.refused import Refused
from handlers.home import republish_home
from handlers.replies import tell_clicker

logger = logging.getLogger(__name__)
DECISIONS = (
    ChannelLinkAction.LINK,
    ChannelLinkAction.NOT_THIS,
    ChannelLinkAction.EXCLUDE,
    ChannelLinkAction.UNLINK,
)


def own_team(body: dict[str, Any], context: BoltContext) -> tuple[str | None, str | None]:
    """The workspace Tandem is installed in (its people are internal) and its Grid org, if any."""
    team = body.get("team_id") if isinstance(body.get("team_id"), str) else None
    enterprise = body.get("enterprise_id") if isinstance(body.get("enterprise_id"), str) else None
    return team or context.team_id, enterprise or context.enterprise_id


def _from_home(body: dict[str, Any]) -> bool:
    view = body.get("view")
    return isinstance(view, dict) and view.get("type") == "home"


def _clicked_message(body: dict[str, Any]) -> tuple[str, str] | None:
    container = body.get("container") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    return (channel, ts) if isinstance(channel, str) and isinstance(ts, str) and channel and ts else None


def register(app: App, deps: Deps) -> None:
    @app.event("member_joined_channel")
    def joined(event: dict[str, Any], body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        if event.get("user") != context.bot_user_id:
            return  # someone else joined: the member is classified when their first message comes
        team, enterprise = own_team(body, context)
        outcome = joining.bot_joined(
            deps, client, channel_id=str(event["channel"]), own_team=team, own_enterprise=enterprise
        )
        logger.info("added to channel %s: %s (%s)", outcome.channel_id, outcome.outcome, outcome.reason)

    @app.event("channel_shared")
    def shared(event: dict[str, Any], body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        team, enterprise = own_team(body, context)
        outcome = joining.bot_joined(
            deps, client, channel_id=str(event["channel"]), own_team=team, own_enterprise=enterprise
        )
        logger.info("channel %s became shared: %s (%s)", outcome.channel_id, outcome.outcome, outcome.reason)

    def decision(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        action = ChannelLinkAction(str(first_action(body).get("action_id")))
        value = action_value(body)
        decisions.parse_value(value)  # not one of ours: a 400, before the ack
        ack()
        actor = body["user"]["id"]
        outcome = decisions.decide(deps, action=action, value=value, actor=actor)
        if isinstance(outcome, Refused):
            tell_clicker(body, respond, client, outcome.message)
            return
        clicked = None if _from_home(body) else _clicked_message(body)
        decisions.update_cards(deps, client, outcome.view, also=clicked)
        if not outcome.changed or _from_home(body):
            tell_clicker(body, respond, client, outcome.message)
        if _from_home(body):
            republish_home(deps, client, actor=actor, body=body)

    for action_id in DECISIONS:
        app.action(action_id)(decision)

    @app.action(ChannelLinkAction.CHOOSE_ACCOUNT)
    def choose(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        channel_id, _ = decisions.parse_value(action_value(body))
        ack()
        view = decisions.open_link_modal(deps, channel_id=channel_id, actor=body["user"]["id"])
        if isinstance(view, Refused):
            tell_clicker(body, respond, client, view.message)
            return
        client.views_open(trigger_id=body["trigger_id"], view=build_link_modal(view))

    @app.view(ChannelLinkModal.CALLBACK)
    def link_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        channel_id, _ = decisions.parse_value(str(view.get("private_metadata") or ""))
        values = (view.get("state") or {}).get("values") or {}
        typed = (values.get(ChannelLinkModal.ACCOUNT_BLOCK) or {}).get(ChannelLinkModal.ACCOUNT_INPUT) or {}
        query = str(typed.get("value") or "")
        error = decisions.find_account_error(deps, query=query)
        if error is not None:
            ack(response_action="errors", errors={ChannelLinkModal.ACCOUNT_BLOCK: error})
            return
        ack()
        actor = body["user"]["id"]
        outcome = decisions.link_to_account(deps, channel_id=channel_id, query=query, actor=actor)
        if isinstance(outcome, Refused):
            client.chat_postMessage(channel=actor, text=outcome.message)
            return
        decisions.update_cards(deps, client, outcome.view)
        client.chat_postMessage(channel=actor, text=outcome.message)
        client.views_publish(user_id=actor, view=home_view_for(deps, slack_id=actor))

    @app.action(ChannelLinkAction.PURGE)
    def purge(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        channel_id, _ = decisions.parse_value(action_value(body))
        ack()
        actor = body["user"]["id"]
        outcome = retention.purge_now(deps, channel_id=channel_id, actor=actor)
        tell_clicker(body, respond, client, outcome.message)
        if isinstance(outcome, retention.Purged) and _from_home(body):
            republish_home(deps, client, actor=actor, body=body)
