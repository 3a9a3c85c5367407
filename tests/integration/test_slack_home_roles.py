"""App Home per role, over a signed `app_home_opened` event: a CSM's day, a manager's team with
the cards that climbed to them on top, ops' sections, and setup help for a stranger."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from bot.ids import AutoTouchAction, CircuitAction
from scoring.types import Decision, Reason, Route, Signal, TriggerKey
from storage.db import transaction
from storage.enums import OutboxState, SnoozeMode
from storage.models import CircuitBreakerTrip, EscalationCard, OutboxMessage, SlackDelivery
from storage.repositories import outbox, signals
from tests.conftest import Database
from tests.integration.slack_env import SlackEnv, slack_env
from tests.integration.team_world import TeamWorld, seed_teams
from tests.support import factories
from tests.support.block_limits import view_problems
from tests.support.factories import AS_OF, MANAGER, NOW, OPS, OTHER_MANAGER, OWNER
from tests.support.waiting import wait_for


@pytest.fixture
def world(db: Database) -> Iterator[tuple[SlackEnv, TeamWorld]]:
    with slack_env(db) as environment:
        yield environment, seed_teams(db)


def open_home(env: SlackEnv, user: str) -> list[dict[str, Any]]:
    """The event as Slack sends it (event_app_home_opened_home_tab.json); the view published."""
    before = len(env.api.calls_to("views.publish"))
    body = {
        "token": "verification_token", "team_id": "T111", "api_app_id": "A111", "type": "event_callback",
        "event": {"type": "app_home_opened", "user": user, "channel": "D111", "tab": "home",
                  "event_ts": "1726133700.887259"},
        "event_id": f"Ev-{user}-{before}", "event_time": 1599616881,
        "authorizations": [{"team_id": "T111", "user_id": "UB0T", "is_bot": True, "is_enterprise_install": False}],
    }  # fmt: skip
    assert env.slack.post(json.dumps(body), content_type="application/json").status == 200
    call = wait_for(lambda: env.api.calls_to("views.publish")[before:])[0].body
    view = call["view"] if isinstance(call["view"], dict) else json.loads(call["view"])
    assert call["user_id"] == user and view["type"] == "home"
    assert view_problems(view) == []
    return list(view["blocks"])


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [json.dumps(block, ensure_ascii=False) for block in blocks]


def queue_touch(env: SlackEnv) -> int:
    with transaction(env.db.session_factory) as session:
        decision = Decision(
            Signal("ACC-1", TriggerKey.RENEWAL_REMINDER, "Renewal in 60 days"), Route.AUTO,
            (Reason("matrix_low_value_low_complexity", "Full automation."),),
        )  # fmt: skip
        signal, _ = signals.record_signal(session, decision=decision, as_of=AS_OF, now=NOW, config_version=1)
        return outbox.enqueue(
            session, idempotency_key=f"signal:{signal.id}:auto", account_id="ACC-1", card_id=None,
            channel="record", recipient="account:ACC-1", subject="Renewal coming up",
            body="Hi there.", send_after=NOW + timedelta(hours=2), now=NOW, signal_id=signal.id,
        ).id  # fmt: skip


def test_a_csm_sees_their_day(world: tuple[SlackEnv, TeamWorld]) -> None:
    env, _ = world
    factories.add_card(
        env.db.session_factory,
        account_id="ACC-4",
        as_of=AS_OF - timedelta(days=2),
        now=NOW - timedelta(hours=50),
    )
    touch = queue_touch(env)
    blocks = open_home(env, OWNER)
    shown = texts(blocks)
    everything = "\n".join(shown)
    assert "Your book today" in shown[0]
    waiting = next(text for text in shown if "Waiting for you (2)" in text)
    # oldest first, each with its rung and age
    assert waiting.index("Acme Works") < waiting.index("Acme Corp")
    assert "*Acme Works* · health_low · assist · with its CSM · waiting 2d 2h" in waiting
    assert "*Acme Corp* · health_low · assist · with the manager · waiting 5h" in waiting
    snoozed = next(text for text in shown if "Snoozed (1)" in text)
    back = int((NOW + timedelta(days=1)).timestamp())
    assert "Acme Labs" in snoozed and f"snoozed back <!date^{back}^" in snoozed and "Acme Corp" not in snoozed
    book = next(text for text in shown if "Your book by band" in text)
    assert "*red*: 1 account, $60,000 ARR" in book and "*green*: 2 accounts, $280,000 ARR" in book
    kept = next(text for text in shown if "On hold or vetoed (1)" in text)
    assert "*Acme Works* · always human (vetoed by Ana Lima)" in kept
    cancel = [
        b["accessory"]
        for b in blocks
        if (b.get("accessory") or {}).get("action_id") == AutoTouchAction.CANCEL
    ]
    assert [button["value"] for button in cancel] == [str(touch)] and "Renewal coming up" in everything
    assert "Globex" not in everything and "Climbed to you" not in everything

    # Cancel from the Home tab works like the digest's
    env.slack.block_action(
        AutoTouchAction.CANCEL, str(touch), user_id=OWNER, channel_id="D0CSM001",
        message_ts="1700000000.000001", response_url=env.api.response_url("home-cancel"),
    )  # fmt: skip
    told = wait_for(lambda: env.api.responses_at("home-cancel"))[0].body
    assert "will not be sent" in told["text"]
    with env.db.session_factory() as session:
        message = session.get(OutboxMessage, touch)
        assert message is not None and message.state == OutboxState.CANCELLED


def test_a_manager_sees_what_climbed_to_them_on_top_and_their_team_only(
    world: tuple[SlackEnv, TeamWorld],
) -> None:
    env, cards = world
    with transaction(env.db.session_factory) as session:
        session.add(SlackDelivery(
            key=f"climb:{cards.climbed}:manager", kind="escalation_notice", recipient=MANAGER, card_id=cards.climbed,
            state="sent", next_attempt_at=NOW, created_at=NOW, sent_at=NOW, channel_id="D0MGR001",
            message_ts="1772445600.000100",
        ))  # fmt: skip
    blocks = open_home(env, MANAGER)
    shown = texts(blocks)
    everything = "\n".join(shown)
    assert "Climbed to you (1)" in shown[1]  # right under the header
    assert "*Acme Corp* · Ana Lima's · health_low · assist · with the manager" in shown[1]
    assert "<https://slack.com/archives/D0MGR001/p1772445600000100|View card> in your DM" in shown[1]
    assert any('"text": "Your team"' in text for text in shown)
    assert "1 CSM: Ana Lima" in everything and "*Ana Lima*: 1 of 10 cards today" in everything
    assert "Globex" not in everything and "Ben Okafor" not in everything
    # The book-wide override log is ops' (it counted other teams' decisions); a manager's team
    # picture has their own team's decisions instead.
    assert "Decisions in the last 30 days" not in everything

    other = "\n".join(texts(open_home(env, OTHER_MANAGER)))
    assert "Climbed to you (0)" in other and "Globex Retail" in other
    assert "Acme" not in other and "Ana Lima" not in other


def test_ops_keep_their_sections(world: tuple[SlackEnv, TeamWorld]) -> None:
    env, _ = world
    with transaction(env.db.session_factory) as session:
        session.add(CircuitBreakerTrip(
            as_of=date(2026, 3, 1), trigger="usage_drop", fired=400, scored=1000, max_share=0.2, tripped_at=NOW,
        ))  # fmt: skip
    blocks = open_home(env, OPS)
    everything = "\n".join(texts(blocks))
    assert "Decisions in the last 30 days" in everything and "Circuit breaker tripped" in everything
    assert CircuitAction.RELEASE in everything
    assert "Climbed to you" not in everything and "Waiting for you" not in everything


def test_someone_tandem_does_not_know_sees_how_to_get_set_up(world: tuple[SlackEnv, TeamWorld]) -> None:
    env, _ = world
    everything = "\n".join(texts(open_home(env, "U0STRANGER")))
    assert "Welcome to Tandem" in everything and "csms.csv" in everything
    assert f"<@{OPS}>" in everything and "member id" in everything and "email" in everything
    assert "Acme" not in everything


def test_long_lists_are_capped_under_the_home_tab_limit(world: tuple[SlackEnv, TeamWorld]) -> None:
    env, _ = world
    with transaction(env.db.session_factory) as session:
        for n in range(30):
            factories.add_account(session, f"ACC-{100 + n}", f"Initech {n:02d}")
    for n in range(30):
        factories.add_card(
            env.db.session_factory, account_id=f"ACC-{100 + n}", now=NOW - timedelta(minutes=n)
        )
    shown = texts(open_home(env, OWNER))  # open_home checks the view against Slack's limits
    waiting = next(text for text in shown if "Waiting for you (31)" in text)
    assert "…and 21 more" in waiting and "Initech 29" in waiting and "Initech 00" not in waiting


def test_a_card_snoozed_until_it_gets_worse_is_snoozed_not_waiting(world: tuple[SlackEnv, TeamWorld]) -> None:
    """A snooze "until it gets worse" has no return time (snoozed_until is NULL): it is still a
    sleeping card, on the CSM's Home and in /health alike (before the fix it showed as waiting)."""
    env, teams = world
    with transaction(env.db.session_factory) as session:
        session.execute(
            update(EscalationCard)
            .where(EscalationCard.id == teams.snoozed)
            .values(snoozed_until=None, snooze_mode=SnoozeMode.UNTIL_WORSE.value)
        )
    shown = texts(open_home(env, OWNER))
    snoozed = next(text for text in shown if "Snoozed (1)" in text)
    assert "Acme Labs" in snoozed and "snoozed until it gets worse" in snoozed
    waiting = next(text for text in shown if "Waiting for you (" in text)
    assert "Acme Labs" not in waiting
