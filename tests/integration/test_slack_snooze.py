"""Snoozing a card from its menu, over signed requests and the Web API stand-in with a
controlled clock, on both backends: the snooze is guarded and logged as a deferral, the card
says it sleeps and until when, and it comes back (re-posted once, marked as coming back) when
its time is up, when its account's score falls 8 points, or when a new trigger fires."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.ids import CardBlock, CardMenu, SnoozeModal
from bot.workflows.ladder import run_ladder
from bot.workflows.snooze import wake_due
from scoring.types import Decision, Route, Signal, TriggerKey
from storage.db import transaction
from storage.models import HealthSnapshot, OverrideRecord
from storage.repositories import cards, learning, signals
from tests.conftest import Database
from tests.integration.slack_env import PostedCard, SlackEnv, slack_env
from tests.support.factories import MANAGER, OTHER_CSM, OWNER
from tests.support.waiting import wait_for

MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def env(db: Database) -> Iterator[SlackEnv]:
    with slack_env(db) as environment:
        environment.clock.current = MONDAY_9
        yield environment


def _menu(env: SlackEnv, card: PostedCard, *, user: str = OWNER, hook: str = "menu") -> None:
    reply = env.slack.block_action(
        CardMenu.MORE,
        f"{CardMenu.SNOOZE}:{card.card_id}",
        user_id=user,
        channel_id=card.channel,
        message_ts=card.ts,
        response_url=env.api.response_url(hook),
        block_id=CardBlock.WHY,
        overflow=True,
    )
    assert reply.status == 200


def _submit(env: SlackEnv, card: PostedCard, mode: str, *, user: str = OWNER) -> dict[str, Any]:
    values = {
        SnoozeModal.MODE_BLOCK: {
            SnoozeModal.MODE_INPUT: {
                "type": "radio_buttons",
                "selected_option": {"value": mode, "text": {"type": "plain_text", "text": mode}},
            }
        }
    }
    reply = env.slack.view_submission(
        SnoozeModal.CALLBACK, private_metadata=str(card.card_id), values=values, user_id=user
    )
    assert reply.status == 200
    return dict(reply.json()) if reply.body else {}


def _snooze(env: SlackEnv, card: PostedCard, mode: str) -> None:
    _menu(env, card)
    wait_for(lambda: env.api.calls_to("views.open"))
    assert _submit(env, card, mode) == {}


def _actions(env: SlackEnv) -> list[str]:
    with env.db.session_factory() as session:
        return list(session.scalars(select(OverrideRecord.action).order_by(OverrideRecord.id)))


def _posts_to(env: SlackEnv, channel: str) -> list[dict[str, Any]]:
    """Cards and their copies (an escalation's notice to the manager at once is not a copy)."""
    return [
        c.body
        for c in env.api.calls_to("chat.postMessage")
        if c.body.get("channel") == channel and not str(c.body.get("text", "")).startswith("Escalation: ")
    ]


def _text(body: dict[str, Any]) -> str:
    blocks = body["blocks"]
    return str(json.loads(blocks) if isinstance(blocks, str) else blocks)


def _score(env: SlackEnv, day: date, score: int) -> None:
    with transaction(env.db.session_factory) as session:
        session.add(
            HealthSnapshot(
                account_id="ACC-1",
                as_of=day,
                score=score,
                band="red",
                confidence=0.9,
                factors={},
                explanation=f"Red ({score})",
            )
        )


def test_snooze_from_the_menu_once_however_often_it_is_submitted(env: SlackEnv) -> None:
    card = env.post_card()
    _menu(env, card)
    modal = wait_for(lambda: env.api.calls_to("views.open"))[0].body["view"]
    modal = json.loads(modal) if isinstance(modal, str) else modal
    assert modal["callback_id"] == SnoozeModal.CALLBACK and modal["private_metadata"] == str(card.card_id)
    assert [o["value"] for o in modal["blocks"][1]["element"]["options"]] == ["1d", "3d", "1w", "worse"]

    assert _submit(env, card, "1d") == {}
    assert _submit(env, card, "1w") == {}  # a second submission (a retry, a second modal): changes nothing
    stored = env.card(card.card_id)
    assert (stored.snooze_mode, stored.snoozed_until, stored.snooze_score, stored.snoozed_by) == (
        "1d",
        MONDAY_9 + timedelta(days=1),
        48,
        OWNER,
    )
    assert _actions(env) == ["snoozed"]
    # The card's message says it sleeps, and until when (a Slack date token); no second update.
    (update,) = [c.body for c in env.api.calls_to("chat.update")]
    assert (update["channel"], update["ts"]) == (card.channel, card.ts)
    until = int((MONDAY_9 + timedelta(days=1)).timestamp())
    assert f"💤 Snoozed by <@{OWNER}> until <!date^{until}^" in _text(update)
    assert "snooze:" not in _text(update)  # no snoozing a sleeping card
    # A deferral, not a decision: learning does not see it.
    with env.db.session_factory() as session:
        assert learning.load_decisions(session, since=date(2026, 2, 1), as_of=date(2026, 3, 31)) == []


def test_a_snooze_that_expires_comes_back_once_marked_as_coming_back(env: SlackEnv) -> None:
    card = env.post_card()
    _snooze(env, card, "1d")
    env.clock.current = MONDAY_9 + timedelta(days=1, seconds=-1)
    assert run_ladder(env.deps).woke == []
    env.clock.current = MONDAY_9 + timedelta(days=1)
    assert run_ladder(env.deps).woke == [card.card_id]
    run_ladder(env.deps)
    wake_due(env.deps)  # the cycle's check too: nothing left to wake
    back = _posts_to(env, OWNER)[1:]
    assert len(back) == 1 and back[0]["text"].startswith("⏰ Snoozed card coming back: its snooze is over.")
    assert "Take over" in _text(back[0])
    stored = env.card(card.card_id)
    assert (stored.snooze_mode, stored.snooze_count, stored.rung) == (None, 1, "owner")
    assert stored.ladder_since == MONDAY_9 + timedelta(days=1)  # the ladder starts again from now
    assert _actions(env) == ["snoozed", "woke"]


@pytest.mark.parametrize(("drop", "wakes"), [(7, False), (8, True)])
def test_a_card_snoozed_until_worse_wakes_on_a_drop_of_eight_points(
    env: SlackEnv, drop: int, wakes: bool
) -> None:
    card = env.post_card()
    _snooze(env, card, "worse")
    assert env.card(card.card_id).snoozed_until is None  # no time limit
    env.clock.advance(days=20)
    assert run_ladder(env.deps).woke == []
    _score(env, date(2026, 3, 21), 48 - drop)
    assert run_ladder(env.deps).woke == ([card.card_id] if wakes else [])
    if wakes:
        (back,) = _posts_to(env, OWNER)[1:]
        assert f"the account's health fell from 48 to {48 - drop}" in back["text"]
    else:
        assert _posts_to(env, OWNER)[1:] == [] and env.card(card.card_id).snooze_mode == "worse"


def _fire(env: SlackEnv, trigger: TriggerKey, day: date) -> None:
    with transaction(env.db.session_factory) as session:
        decision = Decision(Signal("ACC-1", trigger, f"{trigger} fired"), Route.HOLD, ())
        signals.record_signal(session, decision=decision, as_of=day, now=env.clock.now(), config_version=1)


def test_a_new_trigger_wakes_a_snoozed_card_and_a_repeat_of_its_own_does_not(env: SlackEnv) -> None:
    card = env.post_card()
    _snooze(env, card, "1w")
    env.clock.advance(days=1)
    _fire(env, TriggerKey.HEALTH_LOW, date(2026, 3, 3))  # the card's own trigger again: nothing new
    assert wake_due(env.deps) == []
    _fire(env, TriggerKey.RENEWAL_RISK, date(2026, 3, 3))
    assert wake_due(env.deps) == [card.card_id]
    (back,) = _posts_to(env, OWNER)[1:]
    assert "a new trigger fired: renewal risk" in back["text"]


def test_a_snoozed_card_spends_none_of_the_card_budget(env: SlackEnv) -> None:
    card = env.post_card()
    day = (MONDAY_9.replace(hour=0), MONDAY_9.replace(hour=0) + timedelta(days=1))
    with env.db.session_factory() as session:
        assert cards.dm_cards_created_on(session, start=day[0], end=day[1]) == {OWNER: 1}
    _snooze(env, card, "3d")
    with env.db.session_factory() as session:
        assert cards.dm_cards_created_on(session, start=day[0], end=day[1]) == {}


def test_the_ladder_pauses_while_a_card_sleeps(env: SlackEnv) -> None:
    card = env.post_card(route=Route.ESCALATE, with_draft=False)
    _snooze(env, card, "3d")
    env.clock.advance(hours=30)  # past the manager's 4 working hours and the channel's 24
    run = run_ladder(env.deps)
    assert (run.to_manager, run.to_channel) == ([], []) and _posts_to(env, MANAGER) == []
    assert env.card(card.card_id).rung == "owner"
    # Back after 3 days, the ladder's clock restarts from then: 4 working hours later, the manager.
    env.clock.current = MONDAY_9 + timedelta(days=3)  # Thursday 09:00
    assert run_ladder(env.deps).woke == [card.card_id] and _posts_to(env, MANAGER) == []
    env.clock.advance(hours=4)
    assert run_ladder(env.deps).to_manager == [card.card_id]


def test_a_stranger_may_not_snooze(env: SlackEnv) -> None:
    card = env.post_card()
    _menu(env, card, user=OTHER_CSM, hook="stranger")
    told = wait_for(lambda: env.api.responses_at("stranger"))[0].body
    assert told["text"].startswith("Only the account's CSM, their manager or ops can snooze this card")
    assert told["response_type"] == "ephemeral" and env.api.calls_to("views.open") == []
    answer = _submit(env, card, "1w", user=OTHER_CSM)  # a forged submission is refused in the modal
    assert answer["response_action"] == "errors" and "Only the account's CSM" in str(answer["errors"])
    assert env.card(card.card_id).snooze_mode is None and _actions(env) == []
    assert env.api.calls_to("chat.update") == []


def test_the_manager_may_snooze_and_a_bad_choice_is_refused(env: SlackEnv) -> None:
    card = env.post_card()
    answer = _submit(env, card, "forever", user=MANAGER)
    assert answer["response_action"] == "errors" and "Choose how long" in str(answer["errors"])
    assert _submit(env, card, "3d", user=MANAGER) == {}
    assert env.card(card.card_id).snoozed_by == MANAGER
