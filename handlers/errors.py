"""One error handler for every listener: log with an error id, show the user only the id.

Bolt's `@app.error` does not see failures inside lazy listeners (Bolt only logs those), so
lazy functions report theirs through `report_failure` too. Users never see a traceback.
A `MalformedRequest` (a signed payload carrying ids that are not ours) is answered 400 and
logged without a traceback: nothing failed, the request made no sense.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt import App, BoltResponse, Respond

from bot.deps import Deps
from bot.slack_payloads import MalformedRequest

logger = logging.getLogger(__name__)


def user_message(error_id: str) -> str:
    return f"Sorry, that didn't work (error id {error_id}). Nothing was changed; please try again."


def report_failure(error: BaseException, *, respond: Respond | None) -> str:
    """Log `error` with a fresh error id, tell the user the id privately, return the id."""
    error_id = uuid.uuid4().hex[:8]
    logger.error("listener failed (error id %s): %s", error_id, type(error).__name__, exc_info=error)
    if respond is not None:
        try:
            respond(text=user_message(error_id), response_type="ephemeral", replace_original=False)
        except Exception:  # telling the user must not raise a second error
            logger.exception("could not tell the user about error %s", error_id)
    return error_id


def register(app: App, deps: Deps) -> None:
    @app.error
    def on_error(error: Exception, body: dict[str, Any], respond: Any = None) -> BoltResponse | None:
        if isinstance(error, MalformedRequest):
            logger.info("refused a Slack request: %s", error)
            return BoltResponse(status=400, body={"ok": False, "error": "bad_request", "reason": str(error)})
        report_failure(error, respond=respond if body.get("response_url") else None)
        return None
