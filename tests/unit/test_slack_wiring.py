"""The test harness itself and the Web API client: signing, payload shapes, limits, retries.

The signing helper is checked against Slack's published test vector, and the request
builders against the payload fixtures in ../shared/slack-fixtures, so the integration tests
talk to Bolt the way Slack does.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier

from bot.slack_client import make_web_client
from tests.support.block_limits import block_problems, view_problems
from tests.support.slack_requests import SlackSender, sign
from tests.support.slack_stand_in import FIXTURES, running_stand_in

needs_fixtures = pytest.mark.skipif(not FIXTURES.exists(), reason=f"no Slack fixtures at {FIXTURES}")


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@needs_fixtures
def test_signing_matches_slacks_published_test_vector() -> None:
    vector = _fixture("signature_test_vector.json")
    signature = sign(vector["signing_secret"], vector["x_slack_request_timestamp"], vector["raw_body"])
    assert signature == vector["expected_x_slack_signature"]
    verifier = SignatureVerifier(
        vector["signing_secret"], clock=_FixedClock(int(vector["x_slack_request_timestamp"]))
    )
    assert verifier.is_valid(vector["raw_body"], vector["x_slack_request_timestamp"], signature)
    assert not verifier.is_valid(vector["raw_body"] + "x", vector["x_slack_request_timestamp"], signature)


class _FixedClock:
    def __init__(self, now: int) -> None:
        self._now = now

    def now(self) -> float:
        return float(self._now)


class _Capture(SlackSender):
    """Builds requests like SlackSender, but keeps them instead of sending them."""

    def __init__(self) -> None:
        super().__init__(url="http://127.0.0.1:9/unused", secret="s")
        self.bodies: list[str] = []

    def post(self, body: str, **kw: Any) -> Any:
        self.bodies.append(body)
        return None


@needs_fixtures
def test_block_actions_carry_every_field_of_the_fixture() -> None:
    sender = _Capture()
    sender.block_action("a", "1", user_id="U1", channel_id="D1", message_ts="1.2", response_url="http://x/r")
    payload = json.loads(parse_qs(sender.bodies[0])["payload"][0])
    fixture = _fixture("block_actions_button_on_message.json")
    assert set(fixture) <= set(payload)
    assert set(fixture["container"]) <= set(payload["container"])
    assert set(fixture["actions"][0]) <= set(payload["actions"][0])
    assert set(fixture["message"]) <= set(payload["message"])


@needs_fixtures
def test_view_submissions_carry_every_field_of_the_fixture() -> None:
    sender = _Capture()
    sender.view_submission("cb", private_metadata="7", values={}, user_id="U1")
    payload = json.loads(parse_qs(sender.bodies[0])["payload"][0])
    fixture = _fixture("view_submission.json")
    assert set(fixture) <= set(payload) and set(fixture["view"]) <= set(payload["view"])


@needs_fixtures
def test_slash_commands_carry_the_fixtures_form_fields() -> None:
    sender = _Capture()
    sender.slash_command("Acme", user_id="U1", response_url="http://x/r")
    ours = set(parse_qs(sender.bodies[0], keep_blank_values=True))
    theirs = set(parse_qs((FIXTURES / "slash_command.form.txt").read_text(), keep_blank_values=True))
    assert theirs - {"enterprise_id", "enterprise_name"} <= ours


def test_the_web_client_honours_the_api_url_and_retries() -> None:
    client = make_web_client(token="xoxb-1", api_url="http://127.0.0.1:9/api")
    assert client.base_url == "http://127.0.0.1:9/api/" and client.token == "xoxb-1"
    # slack-sdk's own handlers (the fan-out's subclasses tell the pacing, and leave a post's 5xx
    # to the engine, which looks for the message before posting again)
    for kind in (RateLimitErrorRetryHandler, ServerErrorRetryHandler, ConnectionErrorRetryHandler):
        assert any(isinstance(handler, kind) for handler in client.retry_handlers), kind
    assert make_web_client(token=None, api_url=None).base_url == "https://slack.com/api/"


def test_the_stand_in_refuses_what_slack_would_refuse() -> None:
    with running_stand_in() as api:
        client = make_web_client(token="xoxb-1", api_url=api.api_url)
        with pytest.raises(SlackApiError) as too_many:
            client.chat_postMessage(channel="U1", text="t", blocks=[{"type": "divider"}] * 51)
        assert too_many.value.response.data == {
            "ok": False,
            "error": "invalid_blocks",
            "response_metadata": {"messages": ["51 blocks (max 50)"]},
        }
        posted = client.chat_postMessage(channel="U1", text="hello")
        assert posted["channel"] == "D1" and posted["ts"]
        with pytest.raises(SlackApiError) as missing:
            client.chat_update(channel="D1", ts="9.9", text="x")
        assert missing.value.response["error"] == "message_not_found"
        with pytest.raises(SlackApiError) as anonymous:
            make_web_client(token=None, api_url=api.api_url).auth_test()
        assert anonymous.value.response["error"] == "not_authed"


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        ({"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}, "text over 3000"),
        ({"type": "section", "text": {"type": "mrkdwn", "text": ""}}, "text is empty"),
        ({"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}, "header over 150"),
        ({"type": "header", "text": {"type": "mrkdwn", "text": "x"}}, "header has type 'mrkdwn'"),
        (
            {
                "type": "actions",
                "elements": [{"type": "button", "text": {"type": "plain_text", "text": "x" * 76}}],
            },
            "button text over 75",
        ),
        (
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "text": {"type": "plain_text", "text": "ok"}, "value": "v" * 2001}
                ],
            },
            "button value over 2000",
        ),
    ],
)
def test_block_limits(block: dict[str, Any], problem: str) -> None:
    assert any(problem in p for p in block_problems([block]))


def test_modal_limits() -> None:
    modal = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "x" * 25},
        "blocks": [{"type": "divider"}] * 101,
        "private_metadata": "m" * 3001,
    }
    problems = " | ".join(view_problems(modal))
    assert "101 blocks (max 100)" in problems and "title over 24" in problems
    assert "private_metadata over 3000" in problems
