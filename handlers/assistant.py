"""Talking to Tandem: one `message` listener (DMs, and replies in threads Tandem posted), one
`app_mention` listener, the pick-list buttons and the feedback buttons. Thin: the workflow
(bot.workflows.assistant) decides what deserves an answer and answers each event once. Never in
a Slack Connect channel: the customer would read the answer."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.assistant.resolve import PICK_ACTION
from bot.blocks.assistant import FEEDBACK_ACTION
from bot.deps import Deps
from bot.workflows import assistant

logger = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    @app.event("message")
    def message(event: dict[str, Any], body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        if not assistant.wants_answer(deps, event, bot_user_id=context.bot_user_id):
            return
        if assistant.shared_with_outsiders(deps, event, body):
            assistant.decline_in_shared_channel(deps, client, assistant.incoming(event, body.get("event_id")))
            return
        assistant.answer_event(deps, client, assistant.incoming(event, body.get("event_id")))

    @app.event("app_mention")
    def mention(event: dict[str, Any], body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        if not assistant.is_person_message(event, bot_user_id=context.bot_user_id):
            return
        if assistant.shared_with_outsiders(deps, event, body):  # the customer would read the answer
            assistant.decline_in_shared_channel(deps, client, assistant.incoming(event, body.get("event_id")))
            return
        assistant.answer_event(deps, client, assistant.incoming(event, body.get("event_id")))

    @app.action(re.compile(rf"^{PICK_ACTION}-\d+$"))
    def pick(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        action = body["actions"][0]
        container = body.get("container") or {}
        message = body.get("message") or {}
        channel = str(container.get("channel_id") or (body.get("channel") or {}).get("id") or "")
        thread_ts = str(
            message.get("thread_ts") or container.get("thread_ts") or container.get("message_ts") or ""
        )
        click = f"{channel}:{container.get('message_ts')}:{body['user']['id']}:{action.get('action_ts')}"
        assistant.answer_pick(deps, client, user=str(body["user"]["id"]), channel=channel, thread_ts=thread_ts,
                              click_id=click, value=str(action.get("value") or ""))  # fmt: skip

    @app.action(FEEDBACK_ACTION)
    def feedback(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        action = body["actions"][0]
        container = body.get("container") or {}
        channel = str(container.get("channel_id") or (body.get("channel") or {}).get("id") or "")
        message_ts = str(container.get("message_ts") or (body.get("message") or {}).get("ts") or "")
        click = f"{channel}:{message_ts}:{body['user']['id']}:{action.get('action_ts')}"
        assistant.record_feedback(deps, user=str(body["user"]["id"]), channel=channel, message_ts=message_ts,
                                  value=str(action.get("value") or ""), click_id=click)  # fmt: skip
