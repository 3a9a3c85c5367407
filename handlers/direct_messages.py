"""A person's direct message to Tandem: answered with short help (bot.workflows.direct_messages).

Bots' messages, edits and deletions get nothing. A retried delivery of the same event
(X-Slack-Retry-Num) is answered only if the first never was: the answer is owed under the
event's id, so whichever delivery comes first answers, and the others find it owed.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltRequest

from bot.deps import Deps
from bot.workflows.direct_messages import answer_direct_message, wants_answer

logger = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    @app.event("message")
    def direct_message(event: dict[str, Any], body: dict[str, Any], request: BoltRequest) -> None:
        if not wants_answer(event):
            return
        retry = next(iter(request.headers.get("x-slack-retry-num") or []), None)
        event_id = str(body.get("event_id") or f"{event['channel']}-{event.get('ts', '')}")
        if retry is not None:
            logger.info("Slack redelivered event %s (retry %s)", event_id, retry)
        answer_direct_message(deps, event_id=event_id, user=event["user"], channel=event["channel"])
