"""Message events from channels (message.channels, message.groups): stored when the channel is
linked to an account (bot.conversations.ingest), before the ack.

A global middleware rather than a listener: Bolt runs only the first listener that matches a
request, and the assistant's `message` listener must still see every message. Storing before
the ack makes Slack's 200 mean "stored": if the database fails, the request answers 500 and
Slack delivers the event again (its retry is stored once like any other). A message event whose
fields are not Slack's is logged (ids and the reason, never its text) and stored nowhere.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse

from bot.conversations.heard import Garbled
from bot.conversations.ingest import ConversationsConfig, Listener, describe
from bot.deps import Deps

logger = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    listener = Listener(
        session_factory=deps.session_factory,
        clock=deps.clock,
        retention_days=deps.settings.conversation_retention_days,
        config=ConversationsConfig(deps.session_factory),
    )

    @app.middleware
    def hear_channel_messages(body: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse | None:
        if body.get("type") != "event_callback":
            return next()
        try:
            outcome = listener.hear_event(body)
        except Garbled as garbled:
            logger.warning(describe(garbled, body))
            return next()
        except Exception as error:
            # The error's own words may carry the statement's parameters (the text): the frames only.
            error_id = uuid.uuid4().hex[:8]
            logger.error(
                "could not store a message event (event %s, error id %s): %s\n%s",
                body.get("event_id", "?"), error_id, type(error).__name__,
                "".join(traceback.format_tb(error.__traceback__)),
            )  # fmt: skip
            return BoltResponse(status=500, body={"ok": False, "error": "not_stored", "error_id": error_id})
        if outcome is not None:
            logger.debug("message event %s: %s", body.get("event_id", "?"), outcome.value)
        return next()
