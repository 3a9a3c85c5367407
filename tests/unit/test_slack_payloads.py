"""The shape check lets every real Slack payload in the fixtures through, and reads our ids."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.slack_payloads import MalformedRequest, Refusal, action_value, parse_body, refusal_for, row_id
from tests.support.slack_stand_in import FIXTURES

needs_fixtures = pytest.mark.skipif(not FIXTURES.exists(), reason=f"no Slack fixtures at {FIXTURES}")


@needs_fixtures
@pytest.mark.parametrize(
    "name",
    [
        "block_actions_button_on_message.json",
        "block_actions_button_minimal.json",
        "view_submission.json",
        "view_submission_with_response_urls.json",
        "event_message_channel.json",
        "event_message_bot.json",
        "event_app_home_opened_home_tab.json",
        "event_app_home_opened_org_install.json",
        "event_url_verification.json",
    ],
)
def test_real_payloads_pass(name: str) -> None:
    assert refusal_for(json.loads((FIXTURES / name).read_text())) is None


@needs_fixtures
@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("slash_command.form.txt", None),
        ("block_actions_button_minimal.form.txt", "application/x-www-form-urlencoded"),
    ],
)
def test_real_form_bodies_parse_and_pass(name: str, content_type: str | None) -> None:
    body = parse_body((FIXTURES / name).read_text().strip(), content_type)
    assert isinstance(body, dict) and refusal_for(body) is None


def test_a_slash_command_mentioning_payload_is_still_a_slash_command() -> None:
    body = parse_body("command=%2Fveto&user_id=U1&text=the+payload+team", "application/x-www-form-urlencoded")
    assert body == {"command": "/veto", "user_id": "U1", "text": "the payload team"}


def test_ssl_checks_are_left_to_bolt() -> None:
    assert refusal_for(parse_body("ssl_check=1&token=x", None)) is None


def test_a_nul_in_a_commands_text_is_answered_privately_elsewhere_refused() -> None:
    text = refusal_for({"command": "/veto", "user_id": "U1", "text": "a\x00b"})
    assert isinstance(text, Refusal) and text.reply is not None and "NUL" in text.reply
    other = refusal_for({"command": "/veto", "user_id": "U1\x00", "text": "ab"})
    assert isinstance(other, Refusal) and other.reply is None


def test_deep_json_is_checked_without_recursion() -> None:
    deep: Any = "x\x00"
    for _ in range(50_000):
        deep = [deep]
    assert refusal_for(
        {"type": "block_actions", "user": {"id": "U1"}, "actions": [{"action_id": "a"}], "deep": deep}
    )


@pytest.mark.parametrize("value", ["1", "42", "2147483647"])
def test_row_ids_are_ours(value: str) -> None:
    assert row_id(value) == int(value)


@pytest.mark.parametrize(
    "value", ["0", "-1", "2147483648", "1" * 40, "１２", "1.0", " 1", "", None, 7, "abc"]
)
def test_anything_else_is_malformed(value: Any) -> None:
    with pytest.raises(MalformedRequest):
        row_id(value)


def test_action_value_reads_buttons_and_menus() -> None:
    assert action_value({"actions": [{"action_id": "a", "value": "7"}]}) == "7"
    assert action_value({"actions": [{"action_id": "a", "selected_option": {"value": "veto:7"}}]}) == "veto:7"
    with pytest.raises(MalformedRequest):
        action_value({"actions": [{"action_id": "a", "selected_option": "veto:7"}]})
