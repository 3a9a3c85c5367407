"""A correctly signed request with a body Tandem cannot use is refused with 400, never a 500:
the signature proves who sent it, not that it makes sense. Unsigned garbage stays a 401.

Every request here is signed with the app's signing secret (over the exact bytes sent), the
way Slack signs; each goes over real HTTP into the Bolt app behind `bot.http_server`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.ids import (
    AutoTouchAction,
    CardAction,
    CardMenu,
    DigestAction,
    DismissModal,
    EditModal,
    ExceptionAction,
)
from storage.models import Account, EscalationCard, OverrideRecord, Signal
from tests.conftest import Database
from tests.integration.slack_env import SECRET, SlackEnv, slack_env
from tests.support.factories import MANAGER, OWNER
from tests.support.slack_requests import Reply
from tests.support.waiting import wait_for


@pytest.fixture
def env(db: Database) -> Iterator[SlackEnv]:
    with slack_env(db) as environment:
        yield environment


def post_bytes(env: SlackEnv, body: bytes, *, content_type: str, secret: str = SECRET) -> Reply:
    """POST `body` exactly as given, signed over those bytes (Slack signs bytes, not text)."""
    ts = str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(
        env.slack.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": f"v0={digest}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Reply(response.status, response.read().decode())
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.read().decode(errors="replace"))


def form(env: SlackEnv, fields: dict[str, str]) -> Reply:
    return env.slack.post(urlencode(fields))


def interactive(env: SlackEnv, payload: Any) -> Reply:
    return form(env, {"payload": json.dumps(payload)})


def click(action_id: str, value: str | None = "1", **extra: Any) -> dict[str, Any]:
    action: dict[str, Any] = {"action_id": action_id, "block_id": "b", "type": "button", "action_ts": "1.2"}
    if value is not None:
        action["value"] = value
    return {
        "type": "block_actions",
        "user": {"id": OWNER, "username": "ana", "team_id": "T111"},
        "team": {"id": "T111", "domain": "tandem-test"},
        "api_app_id": "A111",
        "trigger_id": "111.222.valid",
        "container": {"type": "message", "message_ts": "1.1", "channel_id": "D1"},
        "channel": {"id": "D1", "name": "directmessage"},
        "actions": [action],
        **extra,
    }


def submit(callback_id: str, private_metadata: Any, values: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": "T111", "domain": "tandem-test"},
        "user": {"id": OWNER, "username": "ana", "team_id": "T111"},
        "api_app_id": "A111",
        "trigger_id": "111.222.valid",
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": values or {}},
            "hash": "1.a",
        },
    }


SLASH = {
    "token": "unused",
    "team_id": "T111",
    "team_domain": "tandem-test",
    "channel_id": "C111",
    "channel_name": "general",
    "user_id": OWNER,
    "user_name": "ana",
    "command": "/veto",
    "text": "Acme Corp: prefers a call",
    "trigger_id": "111.222.valid",
    "api_app_id": "A111",
}

TRUNCATED = json.dumps(click(CardAction.APPROVE))[:57]

BAD_INTERACTIVE_BODIES = {
    "payload is not JSON": "payload=this+is+not+json",
    "payload is null": "payload=null",
    "payload is an array": "payload=%5B1%2C2%5D",
    "payload is a number": "payload=42",
    "payload is a string": "payload=%22block_actions%22",
    "payload is truncated": urlencode({"payload": TRUNCATED}),
    "payload is empty": "payload=",
    "payload has no type": urlencode({"payload": json.dumps({"user": {"id": OWNER}})}),
    "actions is empty": urlencode({"payload": json.dumps(click(CardAction.APPROVE) | {"actions": []})}),
    "actions is not a list": urlencode({"payload": json.dumps(click(CardAction.APPROVE) | {"actions": "x"})}),
    "an action is not an object": urlencode(
        {"payload": json.dumps(click(CardAction.APPROVE) | {"actions": [7]})}
    ),
    "user is a string": urlencode({"payload": json.dumps(click(CardAction.APPROVE) | {"user": OWNER})}),
    "user has no id": urlencode({"payload": json.dumps(click(CardAction.APPROVE) | {"user": {}})}),
    "a NUL inside a value": urlencode({"payload": json.dumps(click(CardAction.APPROVE, "1\x00"))}),
}


@pytest.mark.parametrize("body", BAD_INTERACTIVE_BODIES.values(), ids=BAD_INTERACTIVE_BODIES.keys())
def test_a_signed_interactive_body_that_makes_no_sense_is_a_400(env: SlackEnv, body: str) -> None:
    reply = env.slack.post(body)
    assert reply.status == 400, reply
    assert env.count(OverrideRecord) == 0


@pytest.mark.parametrize(
    "action",
    [
        CardAction.APPROVE,
        CardAction.TAKE_OVER,
        CardAction.EDIT,
        AutoTouchAction.CANCEL,
        DigestAction.OPEN_CARD,
        ExceptionAction.ACCEPT,
        ExceptionAction.DECLINE,
        ExceptionAction.LIFT,
    ],
)
@pytest.mark.parametrize("value", ["not-a-card", None, "-1x", "1" * 40])
def test_a_button_whose_value_is_not_ours_is_a_400(env: SlackEnv, action: str, value: str | None) -> None:
    assert interactive(env, click(action, value)).status == 400
    assert env.count(OverrideRecord) == 0


def test_an_overflow_choice_that_is_not_ours_is_a_400(env: SlackEnv) -> None:
    payload = click(CardMenu.MORE, None)
    payload["actions"][0] |= {"type": "overflow", "selected_option": "veto:1"}  # not an option object
    assert interactive(env, payload).status == 400


@pytest.mark.parametrize("callback", [EditModal.CALLBACK, DismissModal.CALLBACK])
@pytest.mark.parametrize("state", ["x", {"values": "x"}, {"values": {"b": "x"}}, {"values": {"b": {"a": 1}}}])
def test_a_modal_whose_state_is_not_slacks_shape_is_a_400(env: SlackEnv, callback: str, state: Any) -> None:
    payload = submit(callback, "1")
    payload["view"]["state"] = state
    assert interactive(env, payload).status == 400


@pytest.mark.parametrize("callback", [EditModal.CALLBACK, DismissModal.CALLBACK])
@pytest.mark.parametrize("metadata", ["not ours", "", "1; DROP TABLE cards", None, 12])
def test_a_modal_whose_private_metadata_is_not_ours_is_a_400(
    env: SlackEnv, callback: str, metadata: Any
) -> None:
    values = {
        EditModal.DRAFT_BLOCK: {EditModal.DRAFT_INPUT: {"type": "plain_text_input", "value": "Hello"}},
        DismissModal.REASON_BLOCK: {
            DismissModal.REASON_INPUT: {
                "type": "static_select",
                "selected_option": {"value": "false_positive"},
            }
        },
    }
    assert interactive(env, submit(callback, metadata, values)).status == 400
    assert env.count(OverrideRecord) == 0


BAD_EVENTS = {
    "does not parse": b'{"type": "event_callback", "event": {"type": "app_home_opened", "user"',
    "is an array": b"[1, 2]",
    "is null": b"null",
    "event is a string": b'{"type": "event_callback", "team_id": "T111", "event": "app_home_opened"}',
    "event has no type": b'{"type": "event_callback", "team_id": "T111", "event": {"user": "U1"}}',
    "home opened by no one": b'{"type": "event_callback", "team_id": "T111", "event": {"type": "app_home_opened", "tab": "home"}}',
}


@pytest.mark.parametrize("body", BAD_EVENTS.values(), ids=BAD_EVENTS.keys())
def test_a_signed_event_that_makes_no_sense_is_a_400(env: SlackEnv, body: bytes) -> None:
    assert post_bytes(env, body, content_type="application/json").status == 400


def test_raw_bytes_that_are_not_utf8_are_a_400(env: SlackEnv) -> None:
    assert (
        post_bytes(env, b"\xff\xfe\xff payload=\xff", content_type="application/x-www-form-urlencoded").status
        == 400
    )
    assert post_bytes(env, b'{"type": "\xff"}', content_type="application/json").status == 400


@pytest.mark.parametrize("missing", ["user_id", "command"])
def test_a_slash_command_without_its_user_or_command_is_a_400(env: SlackEnv, missing: str) -> None:
    assert form(env, {k: v for k, v in SLASH.items() if k != missing}).status == 400
    assert form(env, SLASH | {missing: ""}).status == 400
    with env.db.session_factory() as session:
        account = session.get(Account, "ACC-1")
        assert account is not None and not account.always_human


def test_unsigned_garbage_is_still_a_401(env: SlackEnv) -> None:
    assert (
        post_bytes(
            env, b"payload=not+json", content_type="application/x-www-form-urlencoded", secret="wrong"
        ).status
        == 401
    )
    assert post_bytes(env, b"[1, 2]", content_type="application/json", secret="wrong").status == 401
    bad_clock = env.slack.post("payload=not+json", headers={"X-Slack-Request-Timestamp": "soon"})
    assert bad_clock.status == 401


def test_a_veto_of_100000_characters_is_answered_not_a_500(env: SlackEnv) -> None:
    """SQLite refuses LIKE patterns over 50,000 bytes ("LIKE or GLOB pattern too complex")."""
    reply = form(env, SLASH | {"text": "a" * 100_000 + ": why"})
    assert reply.status == 200
    text = reply.json()["text"]
    assert text.startswith("No account matches") and len(text) < 400


@pytest.mark.parametrize("query", ["%", "_", "%c%", "a_me", "\\"])
def test_like_wildcards_are_literal_text(env: SlackEnv, query: str) -> None:
    reply = form(env, SLASH | {"text": f"{query}: why", "user_id": MANAGER})
    assert reply.status == 200 and reply.json()["text"].startswith("No account matches"), reply
    assert env.count(OverrideRecord) == 0


@pytest.mark.parametrize("command", ["/veto", "/flag", "/brief", "/qbr"])
@pytest.mark.parametrize("text", ["Acme\x00Corp: why", "Acme Corp: why\x00not", "\x00"])
def test_a_nul_character_in_a_command_is_refused_with_a_message(
    env: SlackEnv, command: str, text: str
) -> None:
    reply = form(env, SLASH | {"command": command, "text": text})
    assert reply.status == 200, reply
    assert "NUL" in reply.json()["text"] and reply.json()["response_type"] == "ephemeral"
    assert env.count(OverrideRecord) == env.count(Signal) == 0


def test_a_nul_in_the_user_id_is_a_400(env: SlackEnv) -> None:
    assert form(env, SLASH | {"user_id": OWNER + "\x00"}).status == 400


def test_a_flag_that_fails_tells_the_flagger_an_error_id(
    env: SlackEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("bot.workflows.manual_flag.load_account_facts", broken)  # fails mid-flag
    hook = env.api.response_url("flag")
    reply = env.slack.slash_command(
        "Acme Corp: champion left", user_id=MANAGER, response_url=hook, command="/flag"
    )
    assert reply.status == 200
    told = wait_for(lambda: env.api.responses_at("flag"))[0].body
    assert re.search(r"error id [0-9a-f]{8}", told["text"]) and "secret internals" not in told["text"]


def test_a_flag_card_names_the_flagger_as_a_real_mention(env: SlackEnv) -> None:
    hook = env.api.response_url("ok")
    env.slack.slash_command("Acme Corp: champion left", user_id=MANAGER, response_url=hook, command="/flag")
    wait_for(lambda: env.api.responses_at("ok"))
    card = next(c.body for c in env.api.calls_to("chat.postMessage") if c.body["channel"] == OWNER)
    blocks = json.dumps(card["blocks"])
    assert f"Flagged by <@{MANAGER}>" in blocks and "&lt;@" not in blocks  # Slack shows the name
    assert env.count(EscalationCard) == 1


def test_a_command_whose_text_says_payload_reaches_its_listeners(env: SlackEnv) -> None:
    """Bolt's parser takes any body containing the word "payload" for interactivity."""
    reply = env.slack.slash_command(
        "Acme Corp: the payload team prefers calls",
        user_id=OWNER,
        response_url=env.api.response_url("v"),
        command="/veto",
    )
    assert reply.status == 200 and "always human" in reply.json()["text"]
    hook = env.api.response_url("f")
    reply = env.slack.slash_command(
        "ACC-1: payload API broke", user_id=MANAGER, response_url=hook, command="/flag"
    )
    assert reply.status == 200 and reply.json()["text"] == "Flagging “ACC-1: payload API broke”…"
    told = wait_for(lambda: env.api.responses_at("f"))[0].body  # the lazy half saw the same command
    assert told["text"].startswith("Flagged Acme Corp") and env.count(EscalationCard) == 1
