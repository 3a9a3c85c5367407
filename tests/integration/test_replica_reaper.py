"""A claim left by a dead replica is taken over by a live one once its lease runs out.

Replica A claims the cards it owes in Slack and an approved card's email, and dies by SIGKILL
while Slack holds its posts (already shown) and the SMTP server holds its email (not yet
taken). Replica B, started after, leaves the claims alone until the lease
(TANDEM_DELIVERY_STALE_SECONDS, TANDEM_OUTBOX_STALE_SECONDS) has run out, then finds each card
A posted in the channel's history and adopts it (no second post), and sends the email once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.clock import SystemClock
from bot.deps import Deps
from bot.settings import Settings
from bot.workflows import card_decisions
from prompts.drafting import TemplateDrafter
from storage.db import transaction
from storage.enums import DeliveryState, OutboxState
from storage.models import EscalationCard, OutboxMessage, SlackDelivery
from tests.conftest import Database
from tests.support import factories
from tests.support.recording_poster import RecordingPoster
from tests.support.replicas import database_url, kill, local_smtp, spawn, stop, wait_healthy
from tests.support.slack_stand_in import running_stand_in
from tests.support.waiting import wait_for

pytestmark = pytest.mark.parametrize(
    "db", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)

CARDS = 3
LEASE_SECONDS = 4


def _book(db: Database) -> int:
    """Three pending cards owed a post (to three people), and a fourth approved: its email queued.
    Returns its id."""
    now = datetime.now(UTC)
    with transaction(db.session_factory) as session:
        factories.add_people(session)
        for index in range(CARDS + 1):
            factories.add_account(
                session, f"ACC-{index}", f"Account {index}", contact_email=f"cs{index}@x.example"
            )
    # Each pending card to its own person: posts to one DM go one at a time (bot.posting), and
    # the three must be in flight together when the replica dies.
    recipients = (factories.OWNER, factories.OTHER_CSM, factories.MANAGER, factories.OWNER)
    ids = [
        factories.add_card(
            db.session_factory,
            account_id=f"ACC-{index}",
            as_of=now.date(),
            now=now,
            recipient=recipients[index],
        ).card_id
        for index in range(CARDS + 1)
    ]
    deps = Deps(Settings(), db.session_factory, SystemClock(), TemplateDrafter(), RecordingPoster())
    assert isinstance(
        card_decisions.approve(deps, card_id=ids[-1], actor=factories.OWNER), card_decisions.Decided
    )
    return ids[-1]


def test_a_dead_replicas_claims_are_taken_over_after_the_lease(db: Database, tmp_path: Path) -> None:
    approved = _book(db)
    with running_stand_in() as api, local_smtp() as (inbox, smtp_url):
        env = {
            "TANDEM_SCHEDULER": "true", "TANDEM_DELIVERY_SWEEP_SECONDS": "1", "TANDEM_OUTBOX_INTERVAL_SECONDS": "1",
            "TANDEM_DELIVERY_STALE_SECONDS": str(LEASE_SECONDS), "TANDEM_OUTBOX_STALE_SECONDS": str(LEASE_SECONDS),
            "SMTP_URL": smtp_url,
        }  # fmt: skip
        api.delays["chat.postMessage"] = 60  # Slack shows the card, and answers too late for A
        inbox.stall = 60  # the SMTP server takes the email in and never answers A
        first = spawn(tmp_path / "a", api.api_url, database_url(db), **env)
        try:
            wait_healthy([first])
            wait_for(
                lambda: len(api.calls_to("chat.postMessage")) >= CARDS and inbox.started >= 1, timeout=30
            )
            kill(first)
        finally:
            stop(first)
        left = _claims(db)
        assert len(left) == CARDS + 1 and all(state == "sending" for state, _ in left.values()), left
        api.delays.clear()
        inbox.stall = 0

        second = spawn(tmp_path / "b", api.api_url, database_url(db), **env)
        try:
            wait_healthy([second])
            wait_for(lambda: _all_done(db, approved), timeout=45)
        finally:
            stop(second)

    taken = _claims(db)
    gaps = {key: (taken[key][1] - claimed).total_seconds() for key, (_, claimed) in left.items()}
    print(
        f"\n[reaper] {len(left)} claims left by a killed replica; taken over after {sorted(gaps.values())} s"
    )
    assert all(gap >= LEASE_SECONDS for gap in gaps.values()), gaps  # never before the lease ran out
    posts = api.posts_tagged()
    assert len(posts) == CARDS and max(posts.values()) == 1, f"a card posted twice: {posts}"
    assert second.output().count("was already in Slack: adopted") == CARDS, second.output()[-2000:]
    assert len(inbox.messages) == 1 and inbox.messages[0]["To"] == f"cs{CARDS}@x.example"
    with db.session_factory() as session:
        email = session.scalars(select(OutboxMessage)).one()
    assert (email.state, email.attempts, email.possible_duplicate) == (OutboxState.SENT, 2, True)


def _claims(db: Database) -> dict[str, tuple[str, datetime]]:
    """Each card delivery's and the email's state and when it was last claimed."""
    with db.session_factory() as session:
        found = {
            row.key: (row.state, row.claimed_at)
            for row in session.scalars(select(SlackDelivery).where(SlackDelivery.claimed_at.is_not(None)))
        }
        for message in session.scalars(select(OutboxMessage).where(OutboxMessage.claimed_at.is_not(None))):
            found[message.idempotency_key] = (str(message.state), message.claimed_at)
    return {key: (state, _aware(at)) for key, (state, at) in found.items() if at is not None}


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _all_done(db: Database, approved: int) -> bool:
    with db.session_factory() as session:
        posted = session.scalars(select(EscalationCard.message_ts).where(EscalationCard.id != approved)).all()
        deliveries = session.scalars(select(SlackDelivery.state)).all()
        email = session.scalars(select(OutboxMessage.state)).one()
    return (
        all(posted) and all(state == DeliveryState.SENT for state in deliveries) and email == OutboxState.SENT
    )
