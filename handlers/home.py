"""App Home: publish the user's current view when they open the Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.deps import Deps
from bot.slack_payloads import MalformedRequest
from bot.workflows.assistant import suggest_prompts
from bot.workflows.home import home_view_for
from bot.workflows.ops_home import filters_from_metadata


def register(app: App, deps: Deps) -> None:
    @app.event("app_home_opened")
    def publish_home(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab") == "messages" and isinstance(event.get("channel"), str):
            suggest_prompts(client, channel=event["channel"])  # the assistant's chat opened
            return
        if event.get("tab") != "home":
            return
        user = event.get("user")
        if not isinstance(user, str) or not user:
            raise MalformedRequest("app_home_opened without a user")
        shown = event.get("view")  # the Home view as last published: keep ops' chosen filters
        filters = filters_from_metadata(shown.get("private_metadata") if isinstance(shown, dict) else None)
        client.views_publish(user_id=user, view=home_view_for(deps, slack_id=user, ops_filters=filters))


def republish_home(deps: Deps, client: WebClient, *, actor: str, body: dict[str, Any]) -> None:
    """Publish the actor's Home again after a click on it, keeping ops' chosen override-log
    filters (they travel in the Home view's private_metadata)."""
    shown = body.get("view")
    is_home = isinstance(shown, dict) and shown.get("type") == "home"
    filters = filters_from_metadata(
        shown.get("private_metadata") if is_home and isinstance(shown, dict) else None
    )
    client.views_publish(user_id=actor, view=home_view_for(deps, slack_id=actor, ops_filters=filters))
