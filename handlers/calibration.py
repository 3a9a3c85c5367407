"""A calibration proposal's Details: every finding, the backtest, the metrics, churn by band, the
reliability bins and the notes, in a modal. Accept, Reject and Roll back on a calibration are
trigger tuning's buttons (`handlers.tuning`): the same decisions, role checks and update in place."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.blocks.calibration_details import calibration_details_modal
from bot.deps import Deps
from bot.ids import TuningAction
from bot.slack_payloads import action_value, row_id
from bot.workflows import tuning_message
from handlers.replies import tell_clicker


def register(app: App, deps: Deps) -> None:
    @app.action(TuningAction.CALIBRATION_DETAILS)
    def open_details(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        proposal_id = row_id(action_value(body))  # not one of ours: a 400, before the ack
        ack()
        actor = body["user"]["id"]
        refusal = tuning_message.refusal(deps, proposal_id=proposal_id, actor=actor, deciding=False)
        view = tuning_message.view_of(deps, proposal_id=proposal_id)
        if refusal is not None or view is None or view.kind != "calibration":
            tell_clicker(body, respond, client, refusal or f"No calibration proposal #{proposal_id}.")
            return
        client.views_open(trigger_id=body["trigger_id"], view=calibration_details_modal(view))
