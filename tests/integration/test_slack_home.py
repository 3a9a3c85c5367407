"""App Home: opening the Home tab publishes the user's current view."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from bot.workflows.card_posting import post_owed_cards
from tests.conftest import Database
from tests.integration.slack_env import SlackEnv, slack_env
from tests.support import factories
from tests.support.factories import OPS, OWNER
from tests.support.waiting import wait_for


@pytest.fixture
def env(sqlite_db: Database) -> Iterator[SlackEnv]:
    with slack_env(sqlite_db) as environment:
        yield environment


def _home_opened(env: SlackEnv, user: str, tab: str = "home") -> int:
    """The event as Slack sends it (shaped like the fixture event_app_home_opened_home_tab.json)."""
    body: dict[str, Any] = {
        "token": "verification_token",
        "team_id": "T111",
        "api_app_id": "A111",
        "event": {
            "type": "app_home_opened",
            "user": user,
            "channel": "D111",
            "tab": tab,
            "event_ts": "1726133700.887259",
        },
        "type": "event_callback",
        "event_id": f"Ev-{user}-{tab}",
        "event_time": 1599616881,
        "authorizations": [
            {"team_id": "T111", "user_id": "UB0T", "is_bot": True, "is_enterprise_install": False}
        ],
    }
    return env.slack.post(json.dumps(body), content_type="application/json").status


def test_a_csm_sees_their_book_and_waiting_cards(env: SlackEnv) -> None:
    setup = factories.add_card(env.db.session_factory)
    post_owed_cards(env.deps, card_id=setup.card_id)

    assert _home_opened(env, OWNER) == 200
    published = wait_for(lambda: env.api.calls_to("views.publish"))[0].body
    view = published["view"] if isinstance(published["view"], dict) else json.loads(published["view"])
    assert published["user_id"] == OWNER and view["type"] == "home"
    text = json.dumps(view["blocks"])
    assert "Your book today" in text and "Waiting for you (1)" in text and "Acme Corp" in text


def test_ops_sees_the_decisions_of_the_last_30_days(env: SlackEnv) -> None:
    assert _home_opened(env, OPS) == 200
    published = wait_for(lambda: env.api.calls_to("views.publish"))[0].body
    view = published["view"] if isinstance(published["view"], dict) else json.loads(published["view"])
    assert "Decisions in the last 30 days" in json.dumps(view["blocks"])


def test_the_messages_tab_publishes_nothing(env: SlackEnv) -> None:
    assert _home_opened(env, OWNER, tab="messages") == 200
    assert _home_opened(env, OPS) == 200  # a later event that does publish ...
    wait_for(lambda: env.api.calls_to("views.publish"))
    assert [call.body["user_id"] for call in env.api.calls_to("views.publish")] == [OPS]  # ... only it
