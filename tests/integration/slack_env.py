"""The Slack test environment: the real Bolt app over HTTP, a Web API stand-in, a database.

Tests wire the app the way app.py does (`create_app` then `handlers.register_all`), serve it
with `bot.http_server` on 127.0.0.1 port 0, and point every WebClient at the stand-in.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.app_factory import create_app
from bot.clock import FrozenClock
from bot.deps import Deps
from bot.http_server import HttpServer, make_http_server
from bot.metrics import Metrics
from bot.posting import SlackPoster
from bot.settings import Settings
from bot.slack_client import make_web_client
from bot.workflows.card_posting import post_owed_cards
from handlers import register_all
from prompts.drafting import Drafter, TemplateDrafter
from storage.db import transaction
from storage.models import Base, EscalationCard
from tests.conftest import Database
from tests.support import factories
from tests.support.slack_requests import SlackSender
from tests.support.slack_stand_in import StandIn, running_stand_in

SECRET = "test-signing-secret-0123456789abcdef"
TOKEN = "xoxb-test-token"


@dataclass
class PostedCard:
    card_id: int
    channel: str  # the DM channel Slack answered with
    ts: str
    blocks: list[dict[str, Any]]


@dataclass
class SlackEnv:
    db: Database
    deps: Deps
    app: App
    api: StandIn
    slack: SlackSender
    server: HttpServer
    base_url: str

    @property
    def clock(self) -> FrozenClock:
        """The controlled clock every test environment runs on."""
        assert isinstance(self.deps.clock, FrozenClock)
        return self.deps.clock

    def post_card(self, **card: Any) -> PostedCard:
        """A pending card (see factories.add_card), posted through the stand-in."""
        setup = factories.add_card(self.db.session_factory, **card)
        before = len(self.api.calls_to("chat.postMessage"))
        run = post_owed_cards(self.deps, card_id=setup.card_id)
        assert run.delivered == 1, run.render()
        recipient = card.get("recipient", factories.OWNER)
        new_calls = self.api.calls_to("chat.postMessage")[before:]
        blocks = next(c.body["blocks"] for c in new_calls if c.body.get("channel") == recipient)
        posted = self.card(setup.card_id)
        assert posted.channel_id and posted.message_ts
        return PostedCard(setup.card_id, posted.channel_id, posted.message_ts, _decoded(blocks))

    def click(
        self, action: str, card: PostedCard, *, user: str = factories.OWNER, hook: str = "hook", **kw: Any
    ) -> int:
        """A signed button click on the posted card; returns the HTTP status Bolt answered."""
        reply = self.slack.block_action(
            action,
            str(card.card_id),
            user_id=user,
            channel_id=card.channel,
            message_ts=card.ts,
            response_url=self.api.response_url(hook),
            message_blocks=card.blocks,
            **kw,
        )
        return reply.status

    def card(self, card_id: int) -> EscalationCard:
        with self.db.session_factory() as session:
            card = session.get(EscalationCard, card_id)
            assert card is not None
            return card

    def count(self, model: type[Base]) -> int:
        with self.db.session_factory() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _decoded(blocks: Any) -> list[dict[str, Any]]:
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


@contextmanager
def serving(
    app: App,
    session_factory: sessionmaker[Session],
    *,
    signing_secret: str = SECRET,
    metrics: Metrics | None = None,
) -> Iterator[HttpServer]:
    """bot.http_server (waitress, as `serve` runs it) on a free local port, in a daemon thread,
    shut down on exit; GET /metrics shows `metrics`."""
    server = make_http_server(
        app, session_factory, signing_secret=signing_secret, host="127.0.0.1", port=0, metrics=metrics
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown(grace_seconds=5)
        thread.join(5)


@contextmanager
def slack_env(
    db: Database, *, drafter: Drafter | None = None, settings_env: dict[str, Any] | None = None
) -> Iterator[SlackEnv]:
    """`settings_env`: more Settings by their environment names (e.g. TANDEM_CURRENCY_SYMBOL)."""
    with running_stand_in() as api:
        settings = Settings(
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=api.api_url,
            # A click is decided before its ack here (as on a quiet day), so a test reads the
            # decision as soon as the click is answered (bot.workflows.click_inbox).
            **{"TANDEM_CLICK_ACK_WAIT_MS": 2500, **(settings_env or {})},
        )  # type: ignore[call-arg]
        metrics = Metrics()  # as app.py wires it: the poster's calls count too
        client = make_web_client(token=TOKEN, api_url=api.api_url, metrics=metrics)
        deps = Deps(
            settings=settings,
            session_factory=db.session_factory,
            clock=FrozenClock(factories.NOW),
            drafter=drafter or TemplateDrafter(),
            poster=SlackPoster(client),
            metrics=metrics,
        )
        app = create_app(deps)  # its own client, from settings: SLACK_API_URL must reach it
        register_all(app, deps)
        with transaction(db.session_factory) as session:
            factories.add_people(session)
            factories.add_account(session)
        try:
            with serving(app, db.session_factory, metrics=metrics) as server:
                base_url = f"http://127.0.0.1:{server.port}"
                sender = SlackSender(f"{base_url}/slack/events", SECRET)
                yield SlackEnv(db, deps, app, api, sender, server, base_url)
        finally:
            # Listeners run on after their ack (a take-over's hand-off packet, a decision's updates of
            # every copy): let them finish while the stand-in and the database are still there.
            app.listener_runner.listener_executor.shutdown(wait=True)
            deps.decision_pool.shutdown(wait=True)
