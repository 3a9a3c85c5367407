"""A seeded book behind the real Slack edge: the Bolt app over signed HTTP, the Web API
stand-in, a frozen clock and a local SMTP server, for tests that run whole cycles."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlalchemy import select

from bot.app_factory import create_app
from bot.clock import FrozenClock
from bot.deps import Deps
from bot.metrics import Metrics
from bot.outreach import SmtpSender
from bot.posting import SlackPoster
from bot.settings import Settings
from bot.slack_client import make_web_client
from bot.workflows.cycle import run_cycle
from handlers import register_all
from prompts.drafting import TemplateDrafter
from storage.models import Account, EscalationCard, OutboxMessage, Signal
from storage.synthetic import generate_book
from tests.conftest import Database
from tests.integration.slack_env import SECRET, TOKEN, serving
from tests.support.slack_requests import SlackSender
from tests.support.slack_stand_in import StandIn, running_stand_in

NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
AS_OF = NOW.date()
BOOK = 40
OPS = "U0OPS001"


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Any] = []

    def handle_message(self, message: Any) -> None:
        self.messages.append(message)


@dataclass
class Story:
    db: Database
    deps: Deps
    clock: FrozenClock
    api: StandIn
    slack: SlackSender
    planted: dict[str, str]

    def cycle(self) -> None:
        run_cycle(self.deps, as_of=self.clock.now().date())

    def signals(self, case: str) -> dict[str, Signal]:
        with self.db.session_factory() as session:
            rows = session.scalars(
                select(Signal).where(
                    Signal.account_id == self.planted[case], Signal.as_of == self.clock.now().date()
                )
            )
            return {row.trigger: row for row in rows}

    def codes(self, case: str, trigger: str) -> list[str]:
        return list(self.signals(case)[trigger].reasons["codes"])

    def cards(self, case: str) -> list[EscalationCard]:
        with self.db.session_factory() as session:
            query = select(EscalationCard).where(EscalationCard.account_id == self.planted[case])
            return list(session.scalars(query.order_by(EscalationCard.id)))

    def touches(self, case: str) -> list[OutboxMessage]:
        with self.db.session_factory() as session:
            query = select(OutboxMessage).where(OutboxMessage.account_id == self.planted[case])
            return list(session.scalars(query.order_by(OutboxMessage.id)))

    def owner(self, case: str) -> str:
        with self.db.session_factory() as session:
            account = session.get(Account, self.planted[case])
            assert account is not None
            return account.owner_slack_id

    def dms_to(self, user: str) -> list[dict[str, Any]]:
        """Messages the app posted into this user's DM, as the stand-in received them."""
        return [c.body for c in self.api.calls_to("chat.postMessage") if c.body.get("channel") == user]

    def card_message(self, case: str) -> dict[str, Any]:
        name = self._name(case)
        found = [m for m in self.dms_to(self.owner(case)) if str(m.get("text", "")).startswith(name)]
        assert found, f"no card for {name} in the owner's DM"
        return found[-1]

    def _name(self, case: str) -> str:
        with self.db.session_factory() as session:
            account = session.get(Account, self.planted[case])
            assert account is not None
            return account.name


def card_budget_of_one(story: Story) -> None:
    """A new active configuration with a card budget of one a day per CSM (the rest wait in digests)."""
    from scoring.config import config_to_dict, load_default_config
    from storage.db import transaction
    from storage.repositories import configs

    with transaction(story.db.session_factory) as session:
        body = config_to_dict(load_default_config())
        body["guardrails"]["card_budget"]["per_csm_per_day"] = 1
        row = configs.create_config_version(session, body=body, author=OPS, now=NOW, note="one card a day")
        configs.activate(session, version=row.version)


def buttons(message: dict[str, Any]) -> list[str]:
    return [
        element["text"]["text"]
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


@contextmanager
def seeded_story(db: Database, *, accounts: int = BOOK, now: datetime = NOW) -> Iterator[Story]:
    clock = FrozenClock(now)
    with running_stand_in() as api:
        settings = Settings(SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=api.api_url)  # type: ignore[call-arg]
        metrics = Metrics()  # as app.py wires it: the poster's calls count too
        deps = Deps(
            settings=settings,
            session_factory=db.session_factory,
            clock=clock,
            drafter=TemplateDrafter(),
            poster=SlackPoster(make_web_client(token=TOKEN, api_url=api.api_url, metrics=metrics)),
            metrics=metrics,
        )
        app = create_app(deps)
        register_all(app, deps)
        summary = generate_book(db.session_factory, accounts=accounts, seed=3, as_of=now.date())
        with serving(app, db.session_factory, metrics=metrics) as server:
            sender = SlackSender(f"http://127.0.0.1:{server.port}/slack/events", SECRET)
            yield Story(db, deps, clock, api, sender, dict(summary.planted))


@contextmanager
def local_smtp() -> Iterator[tuple[Inbox, SmtpSender]]:
    inbox = Inbox()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, SmtpSender(f"smtp://127.0.0.1:{port}", "tandem@localhost")
    controller.stop()
