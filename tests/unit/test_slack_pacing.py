"""Pacing Web API calls within Slack's limits: per channel, per method, and every Retry-After,
shared by all threads (a fake clock: no test here sleeps)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from slack_sdk.http_retry import builtin_handlers
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.delivery.batching import interleave, plan_batches
from bot.delivery.pacing import PacingLimits, SlackPacing
from bot.slack_client import IdempotentServerErrorRetryHandler, SharedRateLimitRetryHandler, channel_of


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


def _pacing(limits: PacingLimits | None = None) -> tuple[SlackPacing, FakeTime]:
    fake = FakeTime()
    return SlackPacing(limits, monotonic=fake.monotonic, sleep=fake.sleep), fake


def test_a_channel_takes_a_short_burst_then_one_post_a_second() -> None:
    pacing, _ = _pacing(PacingLimits(channel_interval_seconds=1.0, channel_burst=3))
    waits = [pacing.wait("chat.postMessage", "U1") for _ in range(5)]
    assert waits == [0.0, 0.0, 0.0, 1.0, 1.0]
    assert pacing.wait("chat.postMessage", "U2") == 0.0  # another DM is not held up by U1


def test_a_tier_3_method_keeps_to_50_a_minute_after_its_burst() -> None:
    pacing, _ = _pacing(PacingLimits(method_burst=5))
    waits = [pacing.wait("chat.update") for _ in range(7)]
    assert waits == pytest.approx([0.0] * 5 + [1.2, 1.2])  # 60 s / 50
    assert pacing.wait("auth.test") == 0.0  # a method without a budget here is not paced


def test_a_retry_after_closes_the_channel_or_the_method_to_every_caller() -> None:
    pacing, _ = _pacing()
    pacing.retry_after("chat.postMessage", "U1", 2.0)
    assert pacing.wait("chat.postMessage", "U1") == 2.0
    assert pacing.wait("chat.postMessage", "U2") == 0.0  # a post's 429 is about its channel
    pacing.retry_after("conversations.history", None, 3.0)
    assert pacing.wait("conversations.history") == 3.0
    pacing.retry_after("auth.test", None, 1.0)  # even an unbudgeted method waits it out
    assert pacing.wait("auth.test") == 1.0


def test_a_workspace_wide_post_budget_holds_every_channel_back() -> None:
    pacing, _ = _pacing(PacingLimits(posts_per_minute=120, method_burst=1))
    assert [pacing.wait("chat.postMessage", f"U{n}") for n in range(3)] == [0.0, 0.5, 0.5]


def _request(method: str, body: dict[str, str], *, form: bool = False) -> HttpRequest:
    data = "&".join(f"{k}={v}" for k, v in body.items()) if form else json.dumps(body)
    return HttpRequest(method="POST", url=f"https://slack.com/api/{method}", headers={}, data=data.encode())


def test_a_post_answered_500_is_not_retried_blindly_but_an_update_is() -> None:
    handler = IdempotentServerErrorRetryHandler(max_retry_count=2)
    failed = HttpResponse(status_code=500, headers={}, data=b"")
    state = RetryState()
    post = _request("chat.postMessage", {"channel": "U1"})
    update = _request("chat.update", {"channel": "D1", "ts": "1.2"})
    assert not handler.can_retry(state=state, request=post, response=failed)
    assert handler.can_retry(state=state, request=update, response=failed)


def test_a_429_tells_the_shared_pacing_its_channel_and_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    pacing, _ = _pacing()
    meanwhile: list[float] = []

    def sdk_sleep(seconds: float) -> None:  # while slack-sdk waits out Retry-After, other threads post
        meanwhile.append(pacing.wait("chat.postMessage", "U7"))
        meanwhile.append(pacing.wait("chat.postMessage", "U8"))

    monkeypatch.setattr(builtin_handlers, "time", SimpleNamespace(sleep=sdk_sleep))
    handler = SharedRateLimitRetryHandler(pacing, max_retry_count=2)
    limited = HttpResponse(status_code=429, headers={"Retry-After": ["4"]}, data=b"")
    state = RetryState()
    handler.prepare_for_next_attempt(
        state=state, request=_request("chat.postMessage", {"channel": "U7"}), response=limited
    )
    assert state.next_attempt_requested and pacing.retry_afters == 1
    assert meanwhile == [4.0, 0.0]  # that DM is held off for every thread; another DM is not
    assert channel_of(_request("chat.postMessage", {"channel": "C9"}, form=True)) == "C9"


def test_batches_hold_a_few_of_one_recipients_rows_each() -> None:
    due = [(n, "U1") for n in range(1, 8)] + [(n, f"U{n}") for n in range(8, 12)]
    batches = plan_batches(due, size=5, per_channel=3)
    assert batches == [[1, 2, 3, 8, 9], [4, 5, 6, 10, 11], [7]]
    assert sorted(i for batch in batches for i in batch) == list(range(1, 12))


def test_channels_are_interleaved_and_keep_their_own_order() -> None:
    items = [("U1", 1), ("U1", 2), ("U1", 3), ("U2", 4), ("U3", 5), ("U3", 6)]
    assert interleave(items, channel=lambda item: item[0]) == [
        ("U1", 1), ("U2", 4), ("U3", 5), ("U1", 2), ("U3", 6), ("U1", 3)
    ]  # fmt: skip


def test_a_429_slack_sdk_no_longer_retries_still_holds_its_channel_for_everyone() -> None:
    # The third 429 in a row (two retries spent) fails the call, which the delivery engine
    # retries later; the DM's next post, from any thread, must still wait out the Retry-After.
    pacing, _ = _pacing()
    handler = SharedRateLimitRetryHandler(pacing, max_retry_count=2)
    limited = HttpResponse(status_code=429, headers={"Retry-After": ["4"]}, data=b"")
    state = RetryState(current_attempt=2)
    retried = handler.can_retry(
        state=state, request=_request("chat.postMessage", {"channel": "U7"}), response=limited
    )
    assert not retried and pacing.retry_afters == 1
    assert pacing.wait("chat.postMessage", "U7") == 4.0
    assert pacing.wait("chat.postMessage", "U8") == 0.0
    ok = HttpResponse(status_code=200, headers={}, data=b"")
    assert not handler.can_retry(
        state=state, request=_request("chat.postMessage", {"channel": "U9"}), response=ok
    )
    assert pacing.retry_afters == 1  # only a 429 holds a channel
