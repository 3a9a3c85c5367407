"""A listener middleware for state-changing requests: the same signed bytes act only once.

Socket Mode requests carry no signature (Slack's WebSocket is authenticated instead) and pass.
A failure while checking (the database down) is reported as every listener's failure is: the
requester is told privately, with an error id the log line carries, and the request is
acknowledged (a 500 would add Slack's own "dispatch failed" to it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import BoltRequest, BoltResponse, Respond

from bot.deps import Deps
from bot.workflows.replays import ALREADY_DONE, first_time
from handlers.errors import report_failure

Middleware = Callable[..., BoltResponse | None]


def once_per_signed_request(deps: Deps, *, kind: str) -> Middleware:
    def act_once(
        request: BoltRequest, body: dict[str, Any], respond: Respond, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        signature = (request.headers.get("x-slack-signature") or [""])[0]
        timestamp = (request.headers.get("x-slack-request-timestamp") or ["0"])[0]
        if not signature:
            return next()
        user = body.get("user")
        actor = str(body.get("user_id") or (user.get("id") if isinstance(user, dict) else "") or "")
        try:
            first = first_time(deps, signature=signature, timestamp=int(timestamp), kind=kind, actor=actor)
        except Exception as error:  # like a listener's failure: told privately, with its error id
            report_failure(error, respond=respond if body.get("response_url") else None)
            return BoltResponse(status=200, body="")
        if first:
            return next()
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": ALREADY_DONE})

    return act_once
