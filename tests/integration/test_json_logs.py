"""LOG_FORMAT=json over real signed requests: every line one JSON object, and every line a Slack
request causes (in the server's thread and in the listener's, after the ack) carries the same
request id; two requests, two ids; Slack's retry headers ride along."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bot.ids import CardAction
from bot.log_format import log_handler
from tests.conftest import Database
from tests.integration.slack_env import SlackEnv, slack_env
from tests.support.waiting import wait_for

GARBAGE = "payload=%7Bnot-json"  # correctly signed, unusable: answered 400


@pytest.fixture
def env(sqlite_db: Database) -> Iterator[SlackEnv]:
    with slack_env(sqlite_db) as environment:
        yield environment


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """What Tandem's own loggers write at INFO, through the JSON handler app.py installs."""
    stream = io.StringIO()
    handler = log_handler("json", stream)
    root, tandem = logging.getLogger(), logging.getLogger("bot")
    previous = tandem.level
    root.addHandler(handler)
    tandem.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        tandem.setLevel(previous)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]  # each line parses alone


def test_each_requests_lines_share_one_id_and_two_requests_differ(
    env: SlackEnv, json_log: io.StringIO
) -> None:
    card = env.post_card()
    env.api.fail_calls_to("chat.update", 404)  # the card's update fails: the listener logs it after the ack
    assert env.click(CardAction.APPROVE, card) == 200
    wait_for(lambda: any(line["logger"] == "bot.workflows.card_messages" for line in _lines(json_log)))
    assert env.slack.post(GARBAGE).status == 400

    lines = _lines(json_log)
    assert all({"timestamp", "level", "logger", "message"} <= line.keys() for line in lines)
    click = next(line for line in lines if line["message"].startswith("slack block_actions"))
    refused = next(line for line in lines if line["message"].startswith("slack block_actions") is False
                   and line["message"].startswith("slack "))  # fmt: skip
    assert click["message"].startswith(f"slack block_actions {CardAction.APPROVE} from U0CSM001 answered 200")
    assert refused["message"].startswith("slack request from ? answered 400")
    by_request = {
        request_id: {line["logger"] for line in lines if line.get("request_id") == request_id}
        for request_id in (click["request_id"], refused["request_id"])
    }
    assert click["request_id"] != refused["request_id"]
    # The click's own line, and the delivery failure logged by the listener's thread after the ack.
    assert by_request[click["request_id"]] >= {
        "bot.request_ids", "bot.delivery.engine", "bot.workflows.card_messages",
    }  # fmt: skip
    assert by_request[refused["request_id"]] == {"bot.request_ids", "bot.request_guard"}
    assert all("request_id" in line for line in lines if line["logger"] != "bot.workflows.card_posting")


def test_slacks_retry_headers_ride_along(env: SlackEnv, json_log: io.StringIO) -> None:
    env.slack.post(GARBAGE, headers={"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"})
    env.slack.post(GARBAGE)

    first, second = (line for line in _lines(json_log) if line["logger"] == "bot.request_ids")
    assert (first["slack_retry_num"], first["slack_retry_reason"]) == ("2", "http_timeout")
    assert "slack_retry_num" not in second and first["request_id"] != second["request_id"]


def test_a_forged_request_is_refused_on_a_line_with_its_id(env: SlackEnv, json_log: io.StringIO) -> None:
    assert env.slack.post(GARBAGE, signature="v0=" + "0" * 64).status == 401

    (line,) = _lines(json_log)
    assert line["logger"] == "bot.http_app" and line["level"] == "WARNING"
    assert "signature mismatch" in line["message"] and len(line["request_id"]) == 16
