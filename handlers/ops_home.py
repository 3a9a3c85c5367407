"""Ops' override log in App Home: a filter chosen (or cleared) publishes the Home again with it;
Export opens the modal, whose submission is checked at once (a bad period is a modal error) and
then uploaded as CSV into the clicker's DM. A refused click is told privately, nothing changes."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.deps import Deps
from bot.ids import OpsExportModal, OpsHomeAction
from bot.slack_payloads import first_action
from bot.workflows import ops_export, ops_home
from bot.workflows.home import home_view_for
from bot.workflows.refused import Refused
from handlers.replies import tell_clicker
from storage.repositories.override_stats import OverrideFilters

logger = logging.getLogger(__name__)


def _current_filters(body: dict[str, Any]) -> OverrideFilters:
    view = body.get("view")
    return ops_home.filters_from_metadata(view.get("private_metadata") if isinstance(view, dict) else None)


def _chosen(action: dict[str, Any]) -> str | None:
    """A static_select's option value, a users_select's user, or a button's value."""
    option = action.get("selected_option")
    if isinstance(option, dict):
        value = option.get("value")
    elif "selected_user" in action:
        value = action.get("selected_user")
    else:
        value = action.get("value")
    return value if isinstance(value, str) and value else None


def register(app: App, deps: Deps) -> None:
    def filter_chosen(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        action = first_action(body)
        ack()
        actor = body["user"]["id"]
        outcome = ops_home.choose_filter(
            deps, actor=actor, current=_current_filters(body), action_id=str(action.get("action_id")),
            value=_chosen(action),
        )  # fmt: skip
        if isinstance(outcome, Refused):
            tell_clicker(body, respond, client, outcome.message)
            return
        client.views_publish(user_id=actor, view=home_view_for(deps, slack_id=actor, ops_filters=outcome))

    for action_id in (*ops_home.FILTER_OF_ACTION, OpsHomeAction.CLEAR):
        app.action(action_id)(filter_chosen)

    @app.action(OpsHomeAction.EXPORT)
    def open_export(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        modal = ops_export.open_modal(deps, actor=body["user"]["id"], filters=_current_filters(body))
        if isinstance(modal, Refused):
            tell_clicker(body, respond, client, modal.message)
            return
        client.views_open(trigger_id=body["trigger_id"], view=modal)

    def check_export(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        request = ops_export.read_submission(deps, actor=body["user"]["id"], state=view.get("state", {}))
        if isinstance(request, dict):
            ack(response_action="errors", errors=request)
            return
        ack()  # the modal closes; the CSV follows in the DM

    def run_export(body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        actor = body["user"]["id"]
        request = ops_export.read_submission(deps, actor=actor, state=view.get("state", {}))
        if isinstance(request, dict):
            return  # answered as a modal error
        outcome = ops_export.export(deps, client, actor=actor, request=request)
        if isinstance(outcome, Refused):
            try:
                client.chat_postMessage(channel=actor, text=outcome.message)
            except SlackClientError:
                logger.exception("could not tell %s that their export failed", actor)

    app.view(OpsExportModal.CALLBACK)(ack=check_export, lazy=[run_export])
