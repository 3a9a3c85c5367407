"""Tandem never answers in a Slack Connect channel: the customer would read what it says about
their account. A colleague who mentions it there is told privately (once) to ask in a DM; a
customer gets nothing; a DM is answered as before."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Database
from tests.integration.slack_env import SlackEnv, slack_env
from tests.support.conversation_events import add_channel
from tests.support.factories import NOW, OWNER
from tests.support.slack_stand_in import AUTH_TEST, FIXTURES
from tests.support.waiting import wait_for

BOT = str(AUTH_TEST["user_id"])
SHARED = "C0SHARED1"
CUSTOMER = "U0CUST001"  # not a Tandem user


@pytest.fixture
def env(db: Database) -> Iterator[SlackEnv]:
    with slack_env(db) as environment:
        add_channel(db.session_factory, SHARED, now=NOW)
        yield environment


def _mention(user: str, event_id: str, *, channel: str, ext_shared: bool = False) -> str:
    body: dict[str, Any] = copy.deepcopy(
        json.loads((FIXTURES / "socket_mode_envelope_events_api_app_mention.json").read_text())["payload"]
    )
    body["event_id"] = event_id
    body["event"] |= {"user": user, "channel": channel, "text": f"<@{BOT}> how is Acme Corp doing?",
                      "ts": "1772442000.000500", "event_ts": "1772442000.000500"}  # fmt: skip
    if ext_shared:
        body["is_ext_shared_channel"] = True
    return json.dumps(body)


def _said_in(env: SlackEnv, channel: str) -> list[dict[str, Any]]:
    return [c.body for c in env.api.calls_to("chat.postMessage") if c.body.get("channel") == channel]


def test_a_colleague_asking_in_a_shared_channel_is_told_privately_to_ask_in_a_dm(env: SlackEnv) -> None:
    body = _mention(OWNER, "Ev-shared-1", channel=SHARED)
    assert env.slack.post(body, content_type="application/json").status == 200
    told = wait_for(lambda: env.api.calls_to("chat.postEphemeral"))
    assert [(c.body["channel"], c.body["user"]) for c in told] == [(SHARED, OWNER)]
    assert "DM" in told[0].body["text"]
    assert (
        env.slack.post(body, content_type="application/json", headers={"X-Slack-Retry-Num": "1"}).status
        == 200
    )
    assert _said_in(env, SHARED) == []  # nothing about the account in the channel, ever
    assert len(env.api.calls_to("chat.postEphemeral")) == 1  # the retry is not told twice


def test_a_customer_mentioning_tandem_gets_nothing_and_slack_s_flag_is_enough(env: SlackEnv) -> None:
    assert (
        env.slack.post(
            _mention(CUSTOMER, "Ev-shared-2", channel=SHARED), content_type="application/json"
        ).status
        == 200
    )
    # A channel Tandem has no row for, but Slack marks as shared with another company.
    other = _mention(OWNER, "Ev-shared-3", channel="C0NEWSHRD", ext_shared=True)
    assert env.slack.post(other, content_type="application/json").status == 200
    wait_for(lambda: env.api.calls_to("chat.postEphemeral"))
    assert [c.body["user"] for c in env.api.calls_to("chat.postEphemeral")] == [OWNER]
    assert _said_in(env, SHARED) == [] and _said_in(env, "C0NEWSHRD") == []


def test_a_mention_in_an_internal_channel_is_still_answered(env: SlackEnv) -> None:
    assert (
        env.slack.post(
            _mention(OWNER, "Ev-internal", channel="C0INTERNL"), content_type="application/json"
        ).status
        == 200
    )
    answers = wait_for(lambda: _said_in(env, "C0INTERNL"))
    assert answers and env.api.calls_to("chat.postEphemeral") == []
