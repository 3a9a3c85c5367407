"""The ops alert's "Release held signals": ops sends a tripped trigger's signals to the digests."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.circuit_alert import build_circuit_alert, parse_release_value
from bot.deps import Deps
from bot.ids import CircuitAction
from bot.workflows.circuit_alerts import Released, release_trip, trip_view
from storage.repositories import circuit_trips

logger = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    @app.action(CircuitAction.RELEASE)
    def release(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        try:
            as_of, trigger = parse_release_value(str(body["actions"][0].get("value", "")))
        except ValueError:
            respond(text="That button carries no trip. Nothing was changed.", response_type="ephemeral")
            return
        outcome = release_trip(deps, as_of=as_of, trigger=trigger, actor=body["user"]["id"])
        if not isinstance(outcome, Released):
            respond(text=outcome.message, response_type="ephemeral", replace_original=False)
            return
        respond(
            text=f"Released: {outcome.cards} {trigger} card(s) wait in their CSMs' digests.",
            response_type="ephemeral",
            replace_original=False,
        )
        with deps.session_factory() as session:
            trip = circuit_trips.get_trip(session, as_of=as_of, trigger=trigger)
        container = body.get("container", {})
        if trip is None or not (container.get("channel_id") and container.get("message_ts")):
            return
        text, blocks = build_circuit_alert(trip_view(trip))
        try:  # the release stands whether or not the alert can be re-rendered
            client.chat_update(
                channel=container["channel_id"], ts=container["message_ts"], text=text, blocks=blocks
            )
        except SlackApiError as error:
            logger.warning("could not update the circuit-breaker alert: %s", error.response.get("error"))
