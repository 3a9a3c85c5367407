"""Build the Bolt app (listeners are registered by handlers.register_all, wired in app.py)."""

from __future__ import annotations

import logging

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient

from bot.deps import Deps
from bot.request_guard import refuse_bad_requests
from bot.request_ids import ContextCopyingExecutor, dispatch_tagged
from bot.slack_client import make_web_client

logger = logging.getLogger(__name__)


class TandemApp(App):
    """Bolt's App with each request dispatched under its own request id (bot.request_ids),
    in HTTP mode and Socket Mode alike."""

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        return dispatch_tagged(super().dispatch, req)


def create_app(deps: Deps, *, client: WebClient | None = None, socket_mode: bool = False) -> App:
    """A Bolt app whose Web API client honours SLACK_API_URL.

    In HTTP mode Bolt verifies every request's signature and timestamp (401 otherwise), then a
    signed body Tandem cannot use gets a 400 (`bot.request_guard`); in Socket Mode requests
    arrive over Slack's authenticated WebSocket instead.
    """
    settings = deps.settings
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    if not socket_mode and not secret:
        raise ValueError("HTTP mode needs SLACK_SIGNING_SECRET to verify requests from Slack")
    app = TandemApp(
        # The client carries the token (Bolt warns when given both) and the API URL; Bolt copies
        # its base_url and retry handlers into the client each listener receives.
        signing_secret=secret or "socket-mode",
        client=client or make_web_client(token=token, api_url=settings.slack_api_url, metrics=deps.metrics),
        request_verification_enabled=not socket_mode,
        logger=logger,
        # Bolt's default pool has 5 threads and a listener holds one through its work after the
        # ack: the sixth click at once waited for a whole decision (and its Slack calls) before
        # it could even ack, and past 3 s Slack shows the user an error. Listeners log with the
        # request's id (the executor copies its context).
        listener_executor=ContextCopyingExecutor(
            max_workers=settings.listener_threads, thread_name_prefix="listener"
        ),
    )
    # After Bolt's own middleware (signature first): a request the guard refused gets its 400.
    app.middleware(refuse_bad_requests)
    return app
