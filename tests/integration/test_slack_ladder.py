"""The escalation ladder over the Web API stand-in with a controlled clock, on both backends:
an unanswered escalate card reaches the manager after 4 of the owner's working hours and the
escalation channel after 24 hours; human and assist cards are reminded in the digest, then go
to the manager after 2 working days; a decision from any copy updates every copy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.ids import CardAction
from bot.workflows.digest import post_digests
from bot.workflows.ladder import run_ladder
from scoring.types import Route
from storage.db import transaction
from storage.models import EscalationCard, OverrideRecord, SlackDelivery, User
from storage.repositories import learning
from tests.conftest import Database
from tests.integration.slack_env import PostedCard, SlackEnv, slack_env
from tests.support.factories import MANAGER, OPS, OWNER
from tests.support.waiting import wait_for

CHANNEL = "C0ESCAL01"
MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def env(db: Database) -> Iterator[SlackEnv]:
    with slack_env(db) as environment:
        yield environment


def _with_channel(env: SlackEnv, channel: str | None = CHANNEL) -> None:
    env.deps.settings = env.deps.settings.model_copy(update={"escalation_channel": channel})


def _posts_to(env: SlackEnv, channel: str) -> list[dict[str, Any]]:
    """Cards and their copies posted to `channel` (an escalation's notice to the manager, sent
    at once without buttons, is not a copy: see _notices_to)."""
    return [body for body in _all_posts_to(env, channel) if not _is_notice(body)]


def _notices_to(env: SlackEnv, channel: str) -> list[dict[str, Any]]:
    return [body for body in _all_posts_to(env, channel) if _is_notice(body)]


def _all_posts_to(env: SlackEnv, channel: str) -> list[dict[str, Any]]:
    return [c.body for c in env.api.calls_to("chat.postMessage") if c.body.get("channel") == channel]


def _is_notice(body: dict[str, Any]) -> bool:
    return str(body.get("text", "")).startswith("Escalation: ")


def _updates(env: SlackEnv) -> list[dict[str, Any]]:
    return [c.body for c in env.api.calls_to("chat.update")]


def _blocks(body: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = body["blocks"]
    return list(json.loads(blocks) if isinstance(blocks, str) else blocks)


def _labels(body: dict[str, Any]) -> list[str]:
    return [e["text"]["text"] for b in _blocks(body) if b["type"] == "actions" for e in b["elements"]]


def _actions(env: SlackEnv) -> list[str]:
    with env.db.session_factory() as session:
        return list(session.scalars(select(OverrideRecord.action).order_by(OverrideRecord.id)))


def _token(moment: datetime) -> str:
    return f"<!date^{int(moment.timestamp())}^"


def test_an_escalation_reaches_the_manager_after_four_working_hours_across_a_weekend(env: SlackEnv) -> None:
    """Friday 16:00 in New York (21:00 UTC): two working hours that day, two on Monday, and the
    clocks go forward on Sunday (EST to EDT): due Monday 10:00 EDT, 14:00 UTC, not a minute before."""
    with transaction(env.db.session_factory) as session:
        session.execute(update(User).where(User.slack_id == OWNER).values(timezone="America/New_York"))
    friday_4pm = datetime(2026, 3, 6, 21, 0, tzinfo=UTC)
    env.clock.current = friday_4pm
    card = env.post_card(route=Route.ESCALATE, with_draft=False, as_of=date(2026, 3, 6), now=friday_4pm)
    due = datetime(2026, 3, 9, 14, 0, tzinfo=UTC)
    assert _token(due) in str(card.blocks)  # the owner's card says when it climbs, in their own zone

    for moment in (
        friday_4pm + timedelta(hours=4),
        datetime(2026, 3, 7, 12, tzinfo=UTC),
        due - timedelta(minutes=1),
    ):
        env.clock.current = moment
        run = run_ladder(env.deps)
        assert run.to_manager == [] and _posts_to(env, MANAGER) == [], moment
    assert len(_notices_to(env, MANAGER)) == 1  # told at once that it escalated, no buttons
    assert env.card(card.card_id).rung == "owner"

    env.clock.current = due
    run = run_ladder(env.deps)
    assert run.to_manager == [card.card_id]
    (copy,) = _posts_to(env, MANAGER)
    assert _labels(copy) == ["Take over"]  # the card itself: the manager can decide it there
    assert f"<@{OWNER}> has not answered this card in 4 working hours" in str(_blocks(copy))
    assert copy["text"].startswith("⏫ Acme Corp:")
    stored = env.card(card.card_id)
    assert (stored.rung, stored.climbed_at) == ("manager", due)
    # The owner's message now says where the card went, and when (a Slack date token).
    (owner_update,) = _updates(env)
    assert (owner_update["channel"], owner_update["ts"]) == (card.channel, card.ts)
    assert f"Waiting 4 working hours since {_token(friday_4pm)}" in str(_blocks(owner_update))
    assert f"sent to <@{MANAGER}> {_token(due)}" in str(_blocks(owner_update))
    # No channel is set: the ladder stops at the manager, and the card says so.
    assert "No escalation channel is set" in str(_blocks(owner_update))
    assert _actions(env) == ["climbed_manager"]

    env.clock.advance(days=3)
    assert run_ladder(env.deps).to_channel == []  # nowhere further to go
    assert len(env.api.calls_to("chat.postMessage")) == 3  # the card, the notice at once, the copy


def test_an_escalation_reaches_the_channel_after_24_hours_naming_the_account_and_the_silent(
    env: SlackEnv,
) -> None:
    _with_channel(env)
    env.clock.current = MONDAY_9
    card = env.post_card(route=Route.ESCALATE, with_draft=False)
    env.clock.current = MONDAY_9 + timedelta(hours=4)
    assert run_ladder(env.deps).to_manager == [card.card_id]
    env.clock.current = MONDAY_9 + timedelta(hours=24, seconds=-1)
    assert run_ladder(env.deps).to_channel == [] and _posts_to(env, CHANNEL) == []

    env.clock.current = MONDAY_9 + timedelta(hours=24)
    assert run_ladder(env.deps).to_channel == [card.card_id]
    (posted,) = _posts_to(env, CHANNEL)
    text = str(_blocks(posted))
    assert "Acme Corp" in posted["text"] and f"no answer from <@{OWNER}> or <@{MANAGER}>" in text
    assert _labels(posted) == ["Take over"]
    assert env.card(card.card_id).rung == "channel"
    assert _actions(env) == ["climbed_manager", "climbed_channel"]
    # The owner's and the manager's messages both now show the channel rung.
    latest = {(u["channel"], u["ts"]): u for u in _updates(env)}
    assert len(latest) == 2 and all(f"posted in <#{CHANNEL}>" in str(_blocks(u)) for u in latest.values())

    # Run again at the same moment, and twice more later: each step was owed once.
    run_ladder(env.deps)
    env.clock.advance(days=2)
    run_ladder(env.deps)
    assert len(_posts_to(env, MANAGER)) == 1 and len(_posts_to(env, CHANNEL)) == 1
    assert _actions(env) == ["climbed_manager", "climbed_channel"]
    steps = {step: env.deps.metrics.registry.get_sample_value("tandem_ladder_steps_total", {"step": step})
             for step in ("manager", "channel")}  # fmt: skip
    assert steps == {"manager": 1, "channel": 1}  # over six runs: each climb counted once


def test_the_same_climb_raced_by_two_runs_is_owed_once(env: SlackEnv) -> None:
    """Two runs that read the card before either climbed it: the guarded update lets one win."""
    from bot.workflows import ladder
    from storage.repositories import attention

    env.clock.current = MONDAY_9
    card = env.post_card(route=Route.ESCALATE, with_draft=False)
    env.clock.current = MONDAY_9 + timedelta(hours=4)
    with env.db.session_factory() as session:
        (seen,) = attention.waiting_cards(session)
    step = ladder.Step(ladder.Rung.MANAGER, "4 working hours")
    assert ladder._climb(env.deps, seen, step, env.clock.now()) is True
    assert ladder._climb(env.deps, seen, step, env.clock.now()) is False  # the loser owes nothing
    run_ladder(env.deps)
    assert len(_posts_to(env, MANAGER)) == 1 and _actions(env) == ["climbed_manager"]
    with env.db.session_factory() as session:
        copies = session.scalars(select(SlackDelivery).where(SlackDelivery.kind == "card_copy")).all()
    assert [c.card_id for c in copies] == [card.card_id]


def test_a_human_card_is_reminded_in_the_digest_then_goes_to_the_manager_after_two_working_days(
    env: SlackEnv,
) -> None:
    env.clock.current = MONDAY_9
    card = env.post_card(route=Route.HUMAN, with_draft=False)
    # Tuesday's digest reminds the owner, and the card says so.
    env.clock.current = datetime(2026, 3, 3, 8, 30, tzinfo=UTC)
    post_digests(env.deps, only_user=OWNER)
    (digest,) = [b for b in _posts_to(env, OWNER) if "digest" in b["text"]]
    assert "⏰ reminder · health_low · human" in str(_blocks(digest))
    assert env.card(card.card_id).rung == "reminded"
    (owner_update,) = _updates(env)
    assert f"reminded in <@{OWNER}>'s digest" in str(_blocks(owner_update))
    post_digests(env.deps, only_user=OWNER)  # the same day again: no second digest, no second reminder
    assert _actions(env) == ["reminded"]

    env.clock.current = datetime(2026, 3, 4, 8, 59, tzinfo=UTC)  # 2 working days = Wednesday 09:00
    assert run_ladder(env.deps).to_manager == []
    env.clock.current = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    assert run_ladder(env.deps).to_manager == [card.card_id]
    (copy,) = _posts_to(env, MANAGER)
    assert "has not answered this card in 2 working days" in str(_blocks(copy)) and _labels(copy) == [
        "Take over"
    ]
    assert _actions(env) == ["reminded", "climbed_manager"]
    env.clock.advance(days=5)
    assert run_ladder(env.deps).to_channel == []  # a human card stops at the manager


def test_an_assist_card_goes_to_the_manager_with_its_draft_and_buttons(env: SlackEnv) -> None:
    env.clock.current = MONDAY_9
    card = env.post_card(route=Route.ASSIST)
    env.clock.current = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    assert run_ladder(env.deps).to_manager == [card.card_id]
    (copy,) = _posts_to(env, MANAGER)
    assert _labels(copy) == ["Approve", "Edit", "Take over"]


def test_a_decision_by_the_manager_from_their_copy_updates_every_copy_and_ends_the_ladder(
    env: SlackEnv,
) -> None:
    _with_channel(env)
    env.clock.current = MONDAY_9
    card = env.post_card(route=Route.ESCALATE, with_draft=False)
    env.clock.current = MONDAY_9 + timedelta(hours=24)
    run_ladder(env.deps)  # the manager and the channel, in one run
    (manager_copy,) = _posts_to(env, MANAGER)
    with env.db.session_factory() as session:
        rows = session.scalars(
            select(SlackDelivery).where(SlackDelivery.kind == "card_copy").order_by(SlackDelivery.id)
        ).all()
        where = [(row.recipient, row.channel_id, row.message_ts) for row in rows]
    assert [w[0] for w in where] == [MANAGER, CHANNEL]
    _, manager_channel, manager_ts = where[0]
    assert manager_channel and manager_ts
    before = len(_updates(env))

    clicked = PostedCard(card.card_id, manager_channel, manager_ts, _blocks(manager_copy))
    assert env.click(CardAction.TAKE_OVER, clicked, user=MANAGER) == 200
    wait_for(lambda: len(_updates(env)) >= before + 3)
    decided = {(u["channel"], u["ts"]) for u in _updates(env)[before:]}
    assert decided == {(card.channel, card.ts), (manager_channel, manager_ts), (CHANNEL, where[1][2])}
    for body in _updates(env)[before:]:
        assert f"Taken over by <@{MANAGER}>" in str(_blocks(body)) and _labels(body) == []
    stored = env.card(card.card_id)
    assert (stored.state, stored.decided_by) == ("taken_over", MANAGER)

    # The job then does nothing more: no climb, no copy, no update.
    calls = len(env.api.calls)
    env.clock.advance(days=3)
    run = run_ladder(env.deps)
    assert (run.to_manager, run.to_channel) == ([], []) and len(env.api.calls) == calls
    assert _actions(env) == ["climbed_manager", "climbed_channel", "taken_over"]
    # Learning counts the decision, not the climbs.
    with env.db.session_factory() as session:
        decisions = learning.load_decisions(session, since=date(2026, 2, 1), as_of=date(2026, 3, 31))
    assert [d.action for d in decisions] == ["taken_over"]


def test_ops_may_decide_from_the_channel_copy(env: SlackEnv) -> None:
    _with_channel(env)
    with transaction(env.db.session_factory) as session:  # no manager: straight to the channel
        session.execute(update(User).where(User.slack_id == OWNER).values(manager_slack_id=None))
    env.clock.current = MONDAY_9
    card = env.post_card(route=Route.ESCALATE, with_draft=False)
    env.clock.current = MONDAY_9 + timedelta(hours=23)
    assert run_ladder(env.deps).to_manager == [] and _posts_to(env, CHANNEL) == []
    env.clock.current = MONDAY_9 + timedelta(hours=24)
    assert run_ladder(env.deps).to_channel == [card.card_id]
    (posted,) = _posts_to(env, CHANNEL)
    assert f"no answer from <@{OWNER}>" in str(_blocks(posted))
    with env.db.session_factory() as session:
        row = session.scalars(select(SlackDelivery).where(SlackDelivery.recipient == CHANNEL)).one()
        assert row.message_ts
        ts = row.message_ts
    clicked = PostedCard(card.card_id, CHANNEL, ts, _blocks(posted))
    env.click(CardAction.TAKE_OVER, clicked, user=OPS)
    wait_for(lambda: env.card(card.card_id).state == "taken_over")
    wait_for(
        lambda: len({(u["channel"], u["ts"]) for u in _updates(env) if "Taken over" in str(u["blocks"])}) == 2
    )


def test_a_failed_update_of_a_copy_is_retried_not_lost(env: SlackEnv) -> None:
    env.clock.current = MONDAY_9
    card = env.post_card(route=Route.ESCALATE, with_draft=False)
    env.clock.current = MONDAY_9 + timedelta(hours=4)
    run_ladder(env.deps)
    # Slack refuses the update of the owner's message (it answers message_not_found) until later.
    with env.api.lock:
        owner_message = env.api.messages.pop((card.channel, card.ts))
    env.click(CardAction.TAKE_OVER, PostedCard(card.card_id, card.channel, card.ts, card.blocks))
    wait_for(lambda: env.card(card.card_id).state == "taken_over")

    def settled() -> list[tuple[str, int]]:
        with env.db.session_factory() as session:
            rows = session.scalars(
                select(SlackDelivery).where(SlackDelivery.key.startswith(f"card-update:{card.card_id}:v3:"))
            ).all()
            found = sorted((row.state, row.attempts) for row in rows)
        done = found and all(attempts and state != "sending" for state, attempts in found)
        return found if done else []

    # The owner's message was refused: owed again (not lost); the manager's was updated.
    assert wait_for(settled) == [("queued", 1), ("sent", 1)]
    with env.api.lock:
        env.api.messages[(card.channel, card.ts)] = owner_message
    env.clock.advance(minutes=5)
    from bot.workflows.card_posting import post_owed_cards

    post_owed_cards(env.deps)  # the scheduler's sweep
    decided = {(u["channel"], u["ts"]) for u in _updates(env) if "Taken over" in str(u["blocks"])}
    assert len(decided) == 2
    with env.db.session_factory() as session:
        states = {
            d.state for d in session.scalars(select(SlackDelivery).where(SlackDelivery.kind == "card_update"))
        }
    assert states == {"sent"}
    assert isinstance(env.card(card.card_id), EscalationCard)
