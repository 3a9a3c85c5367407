"""Worth a look / Not needed on an audit card: ack, call the workflow, show the outcome."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.blocks.audit_card import build_audit_card_message
from bot.deps import Deps
from bot.ids import AuditAction
from bot.workflows.audit import answers
from bot.workflows.audit.answers import Answered
from bot.workflows.refused import Refused
from handlers.cards import card_id_from, tell_privately

Answer = Callable[..., Answered | Refused]


def update_audit_card(client: WebClient, outcome: Answered, body: dict[str, Any]) -> None:
    """Re-render the answered card in place: the buttons give way to who answered and when."""
    container = body.get("container", {})
    channel = outcome.channel_id or container.get("channel_id")
    ts = outcome.message_ts or container.get("message_ts")
    if channel and ts:
        text, blocks = build_audit_card_message(outcome.view)
        client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)


def register(app: App, deps: Deps) -> None:
    def listener(answer: Answer) -> Callable[..., None]:
        def on_click(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
            card_id = card_id_from(body)
            outcome = answer(deps, card_id=card_id, actor=body["user"]["id"])
            ack()  # after the answer is stored, as a card's decision (handlers.cards)
            if isinstance(outcome, Answered):
                update_audit_card(client, outcome, body)
            else:
                tell_privately(respond, outcome)

        return on_click

    app.action(AuditAction.WORTH_A_LOOK)(listener(answers.worth_a_look))
    app.action(AuditAction.NOT_NEEDED)(listener(answers.not_needed))
