"""Notices reach each person once: a manager's copy of an escalated card and each ops user's
circuit-breaker alert are retried with backoff when Slack refuses them, never re-sent to those
who already have them, and shown to ops (a notice with Retry, and App Home) when they never get
through. Signed requests into the Bolt app and the Web API stand-in, on both backends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.ids import DeliveryAction
from bot.workflows.card_posting import post_owed_cards
from bot.workflows.circuit_alerts import record_and_alert
from bot.workflows.home import home_view_for
from bot.workflows.ladder import run_ladder
from scoring.circuit_breaker import Trip
from scoring.types import Route, TriggerKey
from storage.db import transaction
from storage.models import SlackDelivery, User
from tests.conftest import Database
from tests.integration.slack_env import SlackEnv, slack_env
from tests.support import factories
from tests.support.factories import MANAGER, OPS
from tests.support.waiting import wait_for

SECOND_OPS = "U0OPS002"


@pytest.fixture
def env(db: Database) -> Iterator[SlackEnv]:
    with slack_env(db) as environment:
        yield environment


def _delivered_to(env: SlackEnv, user: str) -> list[dict[str, Any]]:
    """Messages that really landed in the user's DM (refused calls left nothing there)."""
    return [body for (channel, _), body in env.api.messages.items() if channel == "D" + user[1:]]


def _deliveries(env: SlackEnv) -> list[SlackDelivery]:
    with env.db.session_factory() as session:
        return list(session.scalars(select(SlackDelivery).order_by(SlackDelivery.id)))


def test_a_refused_escalation_copy_is_retried_with_backoff_and_arrives_once(env: SlackEnv) -> None:
    card = env.post_card(route=Route.ESCALATE, with_draft=False)
    (told_at_once,) = _delivered_to(env, MANAGER)  # the escalation notice, at once (no buttons)
    assert "Escalation" in told_at_once["text"]
    env.api.refuse_posts_to(MANAGER, "ratelimited", times=2)
    env.clock.advance(hours=4)  # Monday 13:00: four working hours unanswered
    run_ladder(env.deps)
    assert len(_delivered_to(env, MANAGER)) == 1  # the copy was refused: not lost, queued again
    (notice,) = [d for d in _deliveries(env) if d.kind == "card_copy"]
    assert notice.state == "queued" and notice.attempts == 1 and "ratelimited" in (notice.last_error or "")
    first_retry = notice.next_attempt_at - env.clock.now()
    assert first_retry == timedelta(seconds=30)

    post_owed_cards(env.deps)  # not due yet: nothing is tried
    assert len(env.api.calls_to("chat.postMessage")) == 3  # the card, the notice, the refused copy
    env.clock.advance(seconds=31)
    post_owed_cards(env.deps)  # refused again: the next wait doubles
    (notice,) = [d for d in _deliveries(env) if d.kind == "card_copy"]
    assert notice.attempts == 2 and notice.next_attempt_at - env.clock.now() == timedelta(seconds=60)
    env.clock.advance(seconds=61)
    post_owed_cards(env.deps)
    post_owed_cards(env.deps)  # and a sweep after that has nothing left to send

    (_, delivered) = _delivered_to(env, MANAGER)
    assert "Acme Corp" in delivered["text"]
    # The owner's card, the manager's notice, the card's update (it now says it went to the
    # manager) and the manager's copy.
    assert [(d.kind, d.state) for d in _deliveries(env)] == [
        ("card", "sent"),
        ("escalation_notice", "sent"),
        ("card_update", "sent"),
        ("card_copy", "sent"),
    ]
    assert len(_delivered_to(env, factories.OWNER)) == 1 and card.ts  # the card itself went once


def test_a_breaker_alert_refused_for_one_ops_user_never_alerts_the_other_twice(env: SlackEnv) -> None:
    with transaction(env.db.session_factory) as session:
        session.add(
            User(slack_id=SECOND_OPS, name="Rui Costa", role="ops", timezone="UTC", digest_time="08:30")
        )
    env.api.refuse_posts_to(SECOND_OPS, "internal_error")
    trip = Trip(TriggerKey.HEALTH_DROP, fired=90, scored=100, limit=0.3)
    record_and_alert(env.deps, [trip], as_of=factories.AS_OF, config_version=1)
    env.clock.advance(minutes=5)
    record_and_alert(env.deps, [trip], as_of=factories.AS_OF, config_version=1)  # a rerun of the day
    assert len(_delivered_to(env, OPS)) == 1 and len(_delivered_to(env, SECOND_OPS)) == 1
    assert "Circuit breaker" in _delivered_to(env, SECOND_OPS)[0]["text"]


def test_a_notice_that_never_gets_through_is_shown_to_ops_who_can_retry_it(env: SlackEnv) -> None:
    env.post_card(route=Route.ESCALATE, with_draft=False)
    assert len(_delivered_to(env, MANAGER)) == 1  # the escalation notice went through
    env.api.refuse_posts_to(MANAGER, "channel_not_found", times=1000)
    env.clock.advance(hours=4)
    run_ladder(env.deps)
    attempts = env.deps.settings.delivery.max_attempts
    for _ in range(attempts + 2):  # hours of retries, each further apart
        env.clock.advance(hours=1)
        post_owed_cards(env.deps)
    (notice,) = [d for d in _deliveries(env) if d.kind == "card_copy"]
    assert notice.state == "failed" and notice.attempts == attempts and notice.ops_told_at
    refused = [c for c in env.api.calls_to("chat.postMessage") if c.body["channel"] == MANAGER][1:]
    assert len(refused) == attempts  # no more tries after the last

    # Ops is told once, in a DM with a Retry button, and sees it on App Home.
    (told,) = _delivered_to(env, OPS)
    assert "could not deliver a card's copy" in str(told["blocks"])
    assert "channel_not_found" in str(told["blocks"])
    retry = next(
        element
        for block in told["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == DeliveryAction.RETRY
    )
    assert retry["value"] == str(notice.id)
    home = _home_view(env, OPS)
    assert "Messages Tandem could not deliver (1)" in str(home["blocks"])

    # A CSM may not retry; ops may, once; the notice then arrives.
    for user, hook in ((factories.OWNER, "csm"), (OPS, "ops"), (OPS, "again")):
        env.slack.block_action(DeliveryAction.RETRY, retry["value"], user_id=user, channel_id="D0OPS001",
                               message_ts="1.1", response_url=env.api.response_url(hook))  # fmt: skip
        wait_for(lambda hook=hook: env.api.responses_at(hook))
    assert "Only ops" in env.api.responses_at("csm")[-1].body["text"]
    assert "Queued again" in env.api.responses_at("ops")[-1].body["text"]
    assert "Nothing to retry" in env.api.responses_at("again")[-1].body["text"]
    env.api.refusing.clear()
    post_owed_cards(env.deps)
    assert len(_delivered_to(env, MANAGER)) == 2  # the notice at once, and now the card's copy
    assert len(_delivered_to(env, OPS)) == 1  # the retry was not announced again


def _home_view(env: SlackEnv, user: str) -> dict[str, Any]:
    return dict(json.loads(json.dumps(home_view_for(env.deps, slack_id=user))))


def test_a_refused_digest_is_retried_once_and_its_touches_wait_for_the_delivered_one(env: SlackEnv) -> None:
    from bot.outreach import deliver_due
    from bot.workflows.digest import post_digests
    from storage.models import OutboxMessage
    from storage.repositories import outbox as outbox_repo

    with transaction(env.db.session_factory) as session:
        touch = outbox_repo.enqueue(
            session, idempotency_key="touch-1", account_id="ACC-1", card_id=None, channel="record",
            recipient="account:ACC-1", subject="Checking in", body="Hi", send_after=factories.NOW,
            now=factories.NOW,
        )  # fmt: skip
    env.api.refuse_posts_to(factories.OWNER, "ratelimited")
    first = post_digests(env.deps, only_user=factories.OWNER)
    assert first.failed == [factories.OWNER] and _delivered_to(env, factories.OWNER) == []
    assert post_digests(env.deps, only_user=factories.OWNER).skipped_already_posted == [factories.OWNER]
    env.clock.advance(hours=3)
    assert deliver_due(env.deps).sent == []  # no digest reached the CSM: the touch is not sent
    post_owed_cards(env.deps)  # the sweep retries the digest
    (digest,) = _delivered_to(env, factories.OWNER)
    assert "Checking in" in str(digest["blocks"])
    with env.db.session_factory() as session:
        shown = session.get(OutboxMessage, touch.id)
        assert shown is not None and shown.visible_since == env.clock.now()  # when it was delivered
        assert shown.send_after >= env.clock.now() + timedelta(hours=2)
    post_owed_cards(env.deps)
    assert len(_delivered_to(env, factories.OWNER)) == 1
