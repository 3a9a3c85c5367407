"""Approve and Take over clicks are stored before their ack and decided once after it
(bot.workflows.click_inbox): a retry of a decided click changes nothing, a click a dead
listener left pending is decided by the sweep, and two workers reaching one click decide it once."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.ids import CardAction
from bot.workflows import click_inbox
from bot.workflows.click_inbox import Click
from bot.workflows.hand_off.owed import ClickedMessage
from storage.db import transaction
from storage.enums import CardState
from storage.models import CardClick, OutboxMessage, OverrideRecord
from storage.repositories import card_clicks
from tests.conftest import Database
from tests.integration.slack_env import SlackEnv, slack_env
from tests.support import factories

RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


@pytest.fixture
def env(db: Database) -> Iterator[SlackEnv]:
    with slack_env(db) as running:
        yield running


def _store(
    env: SlackEnv, card_id: int, *, action: str = click_inbox.APPROVE, stamp: str = "1.5"
) -> tuple[Click, int]:
    """A click as a listener stores it before its ack (and then, here, dies)."""
    card = env.card(card_id)
    click = Click(action, card_id, factories.OWNER, stamp, ClickedMessage(card.channel_id or "", card.message_ts or ""),
                  env.api.response_url("late"))  # fmt: skip
    with transaction(env.db.session_factory) as session:
        click_id, pending = card_clicks.record(
            session, click_key=click.key, action=action, card_id=card_id, actor=click.actor,
            clicked_channel=card.channel_id, clicked_ts=card.message_ts, response_url=click.response_url,
            now=env.clock.now(),
        )  # fmt: skip
    assert pending
    return click, click_id


def _clicks(env: SlackEnv) -> list[CardClick]:
    with env.db.session_factory() as session:
        return list(session.scalars(select(CardClick)).all())


def test_a_click_is_stored_and_decided_once_and_its_retry_changes_nothing(env: SlackEnv) -> None:
    card = env.post_card()
    body = env.slack.block_action_body(
        CardAction.APPROVE, str(card.card_id), user_id=factories.OWNER, channel_id=card.channel,
        message_ts=card.ts, response_url=env.api.response_url("hook"), message_blocks=card.blocks,
    )  # fmt: skip
    assert env.slack.post(body).status == 200
    assert env.slack.post(body, headers=RETRY).status == 200  # Slack's retry: the same bytes
    assert env.card(card.card_id).state == CardState.APPROVED
    [stored] = _clicks(env)
    assert (stored.state, stored.outcome, stored.actor) == ("done", "approved", factories.OWNER)
    assert env.count(OverrideRecord) == 1 and env.count(OutboxMessage) == 1
    assert env.api.responses_at("hook") == []  # the retry was not told "already approved"


def test_a_second_click_is_its_own_click_and_is_told_who_decided(env: SlackEnv) -> None:
    card = env.post_card()
    assert env.click(CardAction.APPROVE, card) == 200
    assert env.click(CardAction.APPROVE, card, user=factories.MANAGER) == 200
    assert [c.outcome.split(":")[0] for c in sorted(_clicks(env), key=lambda c: c.id)] == [
        "approved",
        "refused",
    ]
    assert env.count(OverrideRecord) == 1
    [told] = env.api.responses_at("hook")
    assert "approved" in told.body["text"].lower()


def test_a_click_left_pending_by_a_dead_listener_is_decided_by_the_sweep(env: SlackEnv) -> None:
    card = env.post_card()
    _store(env, card.card_id)
    assert click_inbox.decide_stale(env.deps) == 0  # too fresh: its listener may still be at it
    updates_before = len(env.api.calls_to("chat.update"))
    env.clock.advance(seconds=env.deps.settings.click_stale_seconds + 1)
    assert click_inbox.decide_stale(env.deps) == 1
    assert env.card(card.card_id).state == CardState.APPROVED
    assert env.count(OverrideRecord) == 1 and env.count(OutboxMessage) == 1
    assert len(env.api.calls_to("chat.update")) > updates_before  # the card shows the decision
    assert click_inbox.decide_stale(env.deps) == 0  # done: the next sweep finds nothing
    assert env.count(OverrideRecord) == 1


def test_a_stale_take_over_posts_its_hand_off_packet(env: SlackEnv) -> None:
    card = env.post_card()
    _store(env, card.card_id, action=click_inbox.TAKE_OVER)
    env.clock.advance(seconds=env.deps.settings.click_stale_seconds + 1)
    assert click_inbox.decide_stale(env.deps) == 1
    assert env.card(card.card_id).state == CardState.TAKEN_OVER
    threaded = [c for c in env.api.calls_to("chat.postMessage") if c.body.get("thread_ts") == card.ts]
    assert threaded, "the hand-off packet was not posted in the card's thread"


def test_two_workers_reaching_one_click_decide_it_once(env: SlackEnv) -> None:
    card = env.post_card()
    click, click_id = _store(env, card.card_id)
    outcomes: list[object] = []
    start = threading.Barrier(2)

    def work() -> None:
        start.wait()
        outcomes.append(click_inbox.decide(env.deps, click, click_id))

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    kinds = sorted(type(outcome).__name__ for outcome in outcomes)
    assert kinds == ["Decided", "DecidedElsewhere"], kinds
    assert env.count(OverrideRecord) == 1 and env.count(OutboxMessage) == 1


def test_a_refused_click_is_kept_with_why(env: SlackEnv) -> None:
    card = env.post_card()
    assert env.click(CardAction.APPROVE, card, user="U0STRANGER") == 200
    [stored] = _clicks(env)
    assert stored.state == "done" and stored.outcome and stored.outcome.startswith("refused:")
    assert env.card(card.card_id).state == CardState.PENDING


def test_the_sweep_forgets_decided_clicks_after_a_day_and_keeps_pending_ones(env: SlackEnv) -> None:
    card = env.post_card()
    assert env.click(CardAction.APPROVE, card) == 200
    env.clock.advance(hours=23)
    click_inbox.decide_stale(env.deps)
    assert [c.state for c in _clicks(env)] == ["done"]  # a day not yet gone: Slack could still retry
    env.clock.advance(hours=2)
    _store(env, card.card_id, stamp="9.9")  # a new click, its listener still at work
    click_inbox.decide_stale(env.deps)
    assert [(c.click_key.endswith(":9.9"), c.state) for c in _clicks(env)] == [(True, "pending")]
