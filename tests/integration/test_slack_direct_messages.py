"""A direct message to Tandem over signed Events API requests: one help answer per message, for
the asker's role; Slack's retries, bots' messages and edits get nothing more."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from storage.enums import DeliveryKind, DeliveryState
from storage.models import SlackDelivery
from tests.conftest import Database
from tests.integration.slack_env import SlackEnv, slack_env
from tests.support.factories import MANAGER, OPS, OWNER
from tests.support.slack_stand_in import FIXTURES
from tests.support.waiting import wait_for

STRANGER = "U0NEW999"


@pytest.fixture
def env(db: Database) -> Iterator[SlackEnv]:
    with slack_env(db) as environment:
        yield environment


def _fixture(name: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / name).read_text()))


def _dm(user: str, event_id: str, *, text: str = "hi, what can you do?", **event: Any) -> dict[str, Any]:
    """event_message_channel.json as it arrives from a person's DM with Tandem."""
    body = copy.deepcopy(_fixture("event_message_channel.json"))
    body["event_id"] = event_id
    body["event"] |= {"user": user, "channel": "D" + user[1:], "channel_type": "im", "text": text} | event
    return body


def _send(env: SlackEnv, body: dict[str, Any], *, retry: bool = False) -> None:
    headers: dict[str, str] = {}
    if retry:  # the real retry headers, signed afresh as Slack signs each delivery
        headers = {k: v for k, v in _fixture("http_headers_events_api_retry.json").items() if k.startswith("X-Slack-Retry")}
    reply = env.slack.post(json.dumps(body), content_type="application/json", headers=headers)
    assert reply.status == 200


def _answers(env: SlackEnv, channel: str) -> list[str]:
    return [str(call.body["text"]) for call in env.api.calls_to("chat.postMessage") if call.body["channel"] == channel]


def _answered(env: SlackEnv, channel: str, count: int = 1) -> list[str]:
    return wait_for(lambda: (found := _answers(env, channel)) and len(found) >= count and found)


def test_a_dm_gets_one_help_answer_and_a_retry_of_it_gets_none(env: SlackEnv) -> None:
    first = _dm(OWNER, "EvDM1")
    _send(env, first)
    [answer] = _answered(env, "D0CSM001")
    assert "/brief ACCOUNT" in answer and "/flag ACCOUNT" in answer and "accounts in your book" in answer

    _send(env, first, retry=True)  # Slack thought the first answer too slow: X-Slack-Retry-Num 1
    _send(env, _dm(OWNER, "EvDM2", text="thanks"))  # a later message: answered, and a barrier
    _answered(env, "D0CSM001", 2)
    assert len(_answers(env, "D0CSM001")) == 2  # one per message, none for the retry

    def sent() -> list[str]:
        with env.db.session_factory() as session:
            rows = session.query(SlackDelivery).filter_by(kind=DeliveryKind.DM_HELP.value).all()
        return sorted(row.key for row in rows) if all(row.state == DeliveryState.SENT for row in rows) else []

    assert wait_for(sent) == ["dm-help:EvDM1:D0CSM001", "dm-help:EvDM2:D0CSM001"]  # owed once each


def test_a_retry_whose_first_delivery_never_arrived_is_answered(env: SlackEnv) -> None:
    _send(env, _dm(MANAGER, "EvLost"), retry=True)  # Slack's first try never reached Tandem
    _answered(env, "D0MGR001")
    _send(env, _dm(OPS, "EvBarrier"))
    _answered(env, "D0OPS001")
    assert len(_answers(env, "D0MGR001")) == 1


def test_bots_edits_deletions_and_thread_replies_get_nothing(env: SlackEnv) -> None:
    bot = _fixture("event_message_bot.json")
    bot["event"] |= {"channel": "D0CSM001", "channel_type": "im"}  # another app, in a DM
    _send(env, bot)
    _send(env, _dm(OWNER, "EvSub", subtype="bot_message", bot_id="B999"))
    _send(env, _dm(OWNER, "EvEdit", subtype="message_changed"))
    _send(env, _dm(OWNER, "EvDel", subtype="message_deleted"))
    _send(env, _dm(OWNER, "EvChannel", channel="C111", channel_type="channel"))  # not a DM
    _send(env, _dm(OWNER, "EvThread", thread_ts="1596183000.000100"))  # a reply in a card's thread
    _send(env, _dm(OPS, "EvBarrier"))
    _answered(env, "D0OPS001")
    assert _answers(env, "D0CSM001") == [] and _answers(env, "C111") == []
    assert len(env.api.calls_to("chat.postMessage")) == 1


@pytest.mark.parametrize(
    ("user", "expected", "absent"),
    [
        (MANAGER, "for your team's accounts", "I don't know you yet"),
        (OPS, "override log", "I don't know you yet"),
        (STRANGER, "add you to `csms.csv` (your work email is enough", "/brief"),
    ],
)
def test_the_help_fits_the_askers_role(env: SlackEnv, user: str, expected: str, absent: str) -> None:
    _send(env, _dm(user, f"Ev-{user}"))
    [answer] = _answered(env, "D" + user[1:])
    assert expected in answer and absent not in answer
    posted = next(c.body for c in env.api.calls_to("chat.postMessage") if c.body["channel"] == "D" + user[1:])
    assert expected in json.dumps(posted["blocks"])
