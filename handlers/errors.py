"""One error handler for every listener: log with an error id, show the user only the id.

Bolt's `@app.error` does not see failures inside lazy listeners (Bolt only logs those), so
lazy functions report theirs through `report_failure` too. Users never see a traceback.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt import App, BoltResponse, Respond

from bot.deps import Deps

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
        report_failure(error, respond=respond if body.get("response_url") else None)
        return None
