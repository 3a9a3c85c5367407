"""Trigger tuning: Accept, Shadow 2 weeks, Reject (a modal asks why), Details (the replay
table) and Roll back, on the weekly message and in App Home. Ack, call bot.tuning.decisions
with the clicker's id (only ops and admins decide), then render the proposal again in place;
a refusal (not ops, decided already) is told privately and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.blocks.tuning_modals import details_modal, reject_metadata, reject_modal, submitted_reason
from bot.deps import Deps
from bot.ids import TuningAction, TuningModal
from bot.slack_payloads import action_value, row_id
from bot.tuning import decisions
from bot.tuning.decisions import TuningOutcome
from bot.workflows import tuning_message
from bot.workflows.home import home_view_for
from handlers.home import republish_home
from handlers.replies import tell_clicker

EMPTY_REASON = "A rejection needs a reason (it teaches the next proposal)."

Decide = Callable[..., TuningOutcome]


def register(app: App, deps: Deps) -> None:
    def decider(decide: Decide) -> Callable[[Ack, dict[str, Any], WebClient, Respond], None]:
        def listener(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
            proposal_id = row_id(action_value(body))  # not one of ours: a 400, before the ack
            ack()
            outcome = decide(deps, proposal_id=proposal_id, actor=body["user"]["id"], check_role=True)
            answer(deps, outcome, body, client, respond)

        return listener

    app.action(TuningAction.ACCEPT)(decider(decisions.accept))
    app.action(TuningAction.SHADOW)(decider(decisions.shadow))
    app.action(TuningAction.ROLLBACK)(decider(decisions.rollback))

    @app.action(TuningAction.REJECT)
    def open_reject(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        proposal_id = row_id(action_value(body))
        ack()
        actor = body["user"]["id"]
        refusal = tuning_message.refusal(deps, proposal_id=proposal_id, actor=actor, deciding=True)
        if refusal is not None:
            tell_clicker(body, respond, client, refusal)
            return
        view = tuning_message.view_of(deps, proposal_id=proposal_id)
        assert view is not None  # refusal() found it
        channel, ts = _message_of(body)
        modal = reject_modal(proposal_id=proposal_id, title=view.title, channel=channel, ts=ts)
        client.views_open(trigger_id=body["trigger_id"], view=modal)

    @app.view(TuningModal.REJECT_CALLBACK)
    def submit_reject(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        proposal_id, channel, ts = reject_metadata(view.get("private_metadata"))  # not ours: 400
        reason = submitted_reason(view.get("state", {}))
        if not reason:
            ack(response_action="errors", errors={TuningModal.REASON_BLOCK: EMPTY_REASON})
            return
        actor = body["user"]["id"]
        outcome = decisions.reject(deps, proposal_id=proposal_id, actor=actor, reason=reason, check_role=True)
        if not outcome.ok:
            ack(response_action="errors", errors={TuningModal.REASON_BLOCK: outcome.message[:1000]})
            return
        ack()
        if channel and ts:
            update_message(deps, client, channel=channel, ts=ts, text=outcome.message)
        else:
            client.views_publish(user_id=actor, view=home_view_for(deps, slack_id=actor))

    @app.action(TuningAction.DETAILS)
    def open_details(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        proposal_id = row_id(action_value(body))
        ack()
        refusal = tuning_message.refusal(
            deps, proposal_id=proposal_id, actor=body["user"]["id"], deciding=False
        )
        view = tuning_message.view_of(deps, proposal_id=proposal_id)
        if refusal is not None or view is None:
            tell_clicker(body, respond, client, refusal or f"No tuning proposal #{proposal_id}.")
            return
        modal = details_modal(view, names=tuning_message.account_names(deps, view=view))
        client.views_open(trigger_id=body["trigger_id"], view=modal)


def answer(
    deps: Deps, outcome: TuningOutcome, body: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    """The clicked message updated in place (or the clicker's Home published again), or a
    private reply when nothing changed."""
    if not outcome.ok:
        tell_clicker(body, respond, client, outcome.message)
        return
    channel, ts = _message_of(body)
    if channel and ts:
        message = body.get("message")
        shown = message.get("blocks") if isinstance(message, dict) else None
        update_message(deps, client, channel=channel, ts=ts, text=outcome.message,
                       fallback=shown if isinstance(shown, list) else None)  # fmt: skip
        return
    republish_home(deps, client, actor=body["user"]["id"], body=body)


def update_message(
    deps: Deps,
    client: WebClient,
    *,
    channel: str,
    ts: str,
    text: str,
    fallback: list[dict[str, Any]] | None = None,
) -> None:
    """Render every proposal in the posted message again from its state and chat.update it."""
    blocks = tuning_message.posted_blocks(deps, channel=channel, ts=ts) or fallback
    if not blocks:
        return
    fresh = tuning_message.refreshed_blocks(deps, blocks=blocks)
    client.chat_update(channel=channel, ts=ts, text=f"Trigger tuning: {text}", blocks=fresh)


def _message_of(body: dict[str, Any]) -> tuple[str | None, str | None]:
    container = body.get("container", {})
    if not isinstance(container, dict) or container.get("type") != "message":
        return None, None
    channel, ts = container.get("channel_id"), container.get("message_ts")
    return (channel, ts) if isinstance(channel, str) and isinstance(ts, str) else (None, None)
