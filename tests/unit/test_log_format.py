"""LOG_FORMAT's two shapes, the request tags on a record, the words for a Slack request, and
how one Slack attempt's outcome becomes a metric label."""

from __future__ import annotations

import io
import json
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from pydantic import ValidationError
from slack_sdk.http_retry.response import HttpResponse

from bot.log_format import log_handler
from bot.metrics import api_method, attempt_error
from bot.request_ids import ContextCopyingExecutor, current_request_id, describe, tagged_request
from bot.settings import Settings


def _logged(fmt: str, emit: Any) -> str:
    stream = io.StringIO()
    logger = logging.getLogger(f"tandem.test.{fmt}")
    logger.propagate, logger.level = False, logging.DEBUG
    handler = log_handler(fmt, stream)  # type: ignore[arg-type]
    logger.addHandler(handler)
    try:
        emit(logger)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_a_json_line_is_one_object_with_the_exception_and_extras() -> None:
    def emit(logger: logging.Logger) -> None:
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("two\nlines %s", "here", extra={"card_id": 7})

    output = _logged("json", emit)
    (line,) = output.splitlines()
    entry = json.loads(line)
    assert (entry["level"], entry["logger"], entry["message"]) == (
        "ERROR",
        "tandem.test.json",
        "two\nlines here",
    )
    assert entry["card_id"] == 7 and "ValueError: boom" in entry["exception"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", entry["timestamp"])
    assert "request_id" not in entry  # logged outside any request


def test_inside_a_request_the_id_is_on_the_line_and_gone_after() -> None:
    def emit(logger: logging.Logger) -> None:
        with tagged_request({"x-slack-retry-num": ["1"]}) as request_id:
            logger.info("inside %s", request_id)
        logger.info("outside")

    inside, outside = (json.loads(line) for line in _logged("json", emit).splitlines())
    assert inside["message"] == f"inside {inside['request_id']}" and inside["slack_retry_num"] == "1"
    assert "request_id" not in outside and current_request_id() is None


def test_the_plain_format_is_unchanged() -> None:
    output = _logged("plain", lambda logger: logger.warning("careful"))
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING tandem\.test\.plain: careful\n", output
    )


def test_nested_requests_keep_the_outer_id_and_tasks_carry_it_into_their_thread() -> None:
    with (
        ContextCopyingExecutor(max_workers=1) as copying,
        ThreadPoolExecutor(max_workers=1) as plain_pool,
        tagged_request({}) as outer,
        tagged_request({}) as inner,
    ):
        assert inner == outer
        copied = copying.submit(current_request_id).result()
        plain = plain_pool.submit(current_request_id).result()
    assert copied == outer and plain is None


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (
            {"type": "block_actions", "actions": [{"action_id": "escalation-card-approve"}]},
            "block_actions escalation-card-approve",
        ),
        ({"command": "/veto", "text": "secret words"}, "command /veto"),
        ({"type": "event_callback", "event": {"type": "app_mention", "text": "hi"}}, "event app_mention"),
        (
            {"type": "view_submission", "view": {"callback_id": "dismiss-submit"}},
            "view_submission dismiss-submit",
        ),
        ({"type": "block_actions", "actions": "not a list"}, "block_actions"),
        ({}, "request"),
    ],
)
def test_a_request_is_described_by_its_kind_never_its_text(body: dict[str, Any], words: str) -> None:
    assert describe(body) == words


def test_an_attempts_outcome_becomes_a_short_label() -> None:
    assert api_method("http://127.0.0.1:9/api/chat.postMessage?x=1") == "chat.postMessage"
    assert attempt_error(HttpResponse(status_code=200, headers={}, body={"ok": True}), None) is None
    refused = HttpResponse(status_code=200, headers={}, body={"ok": False, "error": "channel_not_found"})
    assert attempt_error(refused, None) == "channel_not_found"
    assert attempt_error(HttpResponse(status_code=429, headers={}, body={}), None) == "http_429"
    assert attempt_error(None, TimeoutError("read timed out")) == "TimeoutError"


@pytest.mark.parametrize(
    ("env", "named"),
    [({"LOG_FORMAT": "xml"}, "LOG_FORMAT"), ({"TANDEM_METRICS_PORT": "0"}, "TANDEM_METRICS_PORT")],
)
def test_bad_observability_settings_are_refused_by_name(env: dict[str, str], named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        Settings(**env)  # type: ignore[arg-type]
    assert Settings().log_format == "plain" and Settings().metrics_port == 9102
