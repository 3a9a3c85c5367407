"""A book of pending cards already posted to their owner's DM, ready to be clicked.

One CSM (factories.OWNER) with their manager and ops, `count` accounts each with a contact
email (so an approval sends an email), and one card per account, posted through the Web API
stand-in the way the cycle posts them: each card then knows its message, and a decision owes
the update of that message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from bot.clock import SystemClock
from bot.deps import Deps
from bot.posting import SlackPoster
from bot.settings import Settings
from bot.slack_client import make_web_client
from bot.workflows.card_posting import post_owed_cards
from prompts.drafting import TemplateDrafter
from storage.db import transaction
from storage.models import EscalationCard
from tests.conftest import Database
from tests.support import factories


@dataclass(frozen=True)
class PostedCard:
    card_id: int
    channel: str
    ts: str


def posted_cards(db: Database, api_url: str, *, count: int, token: str) -> list[PostedCard]:
    now = datetime.now(UTC)  # the replicas run on the system clock
    with transaction(db.session_factory) as session:
        factories.add_people(session)
        for index in range(count):
            factories.add_account(
                session, f"ACC-{index:04d}", f"Account {index}", contact_email=f"cs{index}@customer.example"
            )
    for index in range(count):
        factories.add_card(db.session_factory, account_id=f"ACC-{index:04d}", as_of=now.date(), now=now)
    settings = Settings(SLACK_BOT_TOKEN=token, SLACK_API_URL=api_url)  # type: ignore[call-arg]
    poster = SlackPoster(make_web_client(token=token, api_url=api_url))
    run = post_owed_cards(Deps(settings, db.session_factory, SystemClock(), TemplateDrafter(), poster))
    assert run.delivered == count, run.render()
    with db.session_factory() as session:
        rows = session.scalars(select(EscalationCard).order_by(EscalationCard.id)).all()
        return [PostedCard(card.id, card.channel_id or "", card.message_ts or "") for card in rows]
