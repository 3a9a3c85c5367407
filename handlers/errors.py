"""One error handler for every listener: log with an error id, show the user only the id."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt import App, BoltResponse

from bot.deps import Deps

logger = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    @app.error
    def on_error(error: Exception, body: dict[str, Any], respond: Any = None) -> BoltResponse | None:
        error_id = uuid.uuid4().hex[:8]
        logger.error("listener failed (error id %s): %s", error_id, error, exc_info=error)
        message = f"Sorry, that didn't work (error id {error_id}). Nothing was changed; please try again."
        if respond is not None and body.get("response_url"):
            try:
                respond(text=message, response_type="ephemeral", replace_original=False)
            except Exception:  # reporting the error must not raise another
                logger.exception("could not tell the user about error %s", error_id)
        return None
