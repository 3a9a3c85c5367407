"""`/brief` over signed HTTP: acknowledged within Slack's 3 seconds, answered privately."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator

import pytest

from storage.db import transaction
from tests.conftest import Database
from tests.integration.slack_env import SlackEnv, slack_env
from tests.support import factories
from tests.support.factories import MANAGER
from tests.support.waiting import wait_for


@pytest.fixture
def env(sqlite_db: Database) -> Iterator[SlackEnv]:
    with slack_env(sqlite_db) as environment:
        with transaction(sqlite_db.session_factory) as session:
            factories.add_account(session, "ACC-2", "Acme Labs")
            factories.add_account(session, "ACC-3", "Globex Retail")
        yield environment


def test_brief_is_acknowledged_fast_then_answered_at_the_response_url(env: SlackEnv) -> None:
    started = time.monotonic()
    reply = env.slack.slash_command(
        "Globex Retail", user_id=MANAGER, response_url=env.api.response_url("brief")
    )
    elapsed = time.monotonic() - started
    assert reply.status == 200 and elapsed < 3.0
    assert "Preparing the brief" in reply.json()["text"]

    answer = wait_for(lambda: env.api.calls_to("response_url"))[0].body
    assert answer["response_type"] == "ephemeral"
    text = json.dumps(answer["blocks"])
    assert "Globex Retail" in text and "ACC-3" in text and "Health" in text
    assert "Written by template" in text


def test_ambiguous_or_unknown_names_get_the_closest_matches(env: SlackEnv) -> None:
    env.slack.slash_command("acme", user_id=MANAGER, response_url=env.api.response_url("acme"))
    answer = wait_for(lambda: env.api.calls_to("response_url"))[0].body
    assert "Acme Corp (ACC-1)" in answer["text"] and "Acme Labs (ACC-2)" in answer["text"]

    env.slack.slash_command("globx retial", user_id=MANAGER, response_url=env.api.response_url("typo"))
    typo = wait_for(lambda: [c for c in env.api.calls_to("response_url") if c.path.endswith("/typo")])[0].body
    assert "Globex Retail (ACC-3)" in typo["text"]


def test_brief_without_an_account_explains_the_usage(env: SlackEnv) -> None:
    reply = env.slack.slash_command("", user_id=MANAGER, response_url=env.api.response_url("empty"))
    assert reply.status == 200 and "Usage: `/brief ACCOUNT`" in reply.json()["text"]
    time.sleep(0.2)
    assert env.api.calls_to("response_url") == []


def test_healthz_reports_the_database(env: SlackEnv) -> None:
    with urllib.request.urlopen(f"{env.base_url}/healthz", timeout=5) as response:
        assert response.status == 200
        assert json.loads(response.read()) == {"ok": True, "database": "ok"}


def test_unknown_paths_are_404(env: SlackEnv) -> None:
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(f"{env.base_url}/admin", timeout=5)
    assert raised.value.code == 404
