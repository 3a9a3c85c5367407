"""The Slack test environment: the real Bolt app over HTTP, a Web API stand-in, a database."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bot.app_factory import create_app
from bot.clock import FrozenClock
from bot.deps import Deps
from bot.http_server import ThreadingWSGIServer, make_http_server
from bot.posting import SlackPoster
from bot.settings import Settings
from bot.slack_client import make_web_client
from handlers import register_all
from prompts.drafting import TemplateDrafter
from storage.db import transaction
from tests.conftest import Database
from tests.support import factories
from tests.support.slack_requests import SlackSender
from tests.support.slack_stand_in import StandIn, running_stand_in

SECRET = "test-signing-secret-0123456789abcdef"


@dataclass
class SlackEnv:
    db: Database
    deps: Deps
    api: StandIn
    slack: SlackSender
    server: ThreadingWSGIServer
    base_url: str


@contextmanager
def slack_env(db: Database) -> Iterator[SlackEnv]:
    with running_stand_in() as api:
        settings = Settings(
            SLACK_BOT_TOKEN="xoxb-test-token", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=api.api_url
        )  # type: ignore[call-arg]
        client = make_web_client(token="xoxb-test-token", api_url=api.api_url)
        deps = Deps(
            settings=settings,
            session_factory=db.session_factory,
            clock=FrozenClock(factories.NOW),
            drafter=TemplateDrafter(),
            poster=SlackPoster(client),
        )
        app = create_app(deps, client=client)
        register_all(app, deps)
        server = make_http_server(app, db.session_factory, host="127.0.0.1", port=0)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        with transaction(db.session_factory) as session:
            factories.add_people(session)
            factories.add_account(session)
        base_url = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            yield SlackEnv(db, deps, api, SlackSender(f"{base_url}/slack/events", SECRET), server, base_url)
        finally:
            server.shutdown()
            server.server_close()
