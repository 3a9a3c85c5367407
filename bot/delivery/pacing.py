"""Pacing Web API calls within Slack's published limits, shared by every thread of a process.

slack-sdk's retry handlers wait out a 429 after it happens, one call at a time. What they
cannot do is keep a pool of posting threads from causing the 429s in the first place, so
every call the delivery pool makes first asks `SlackPacing.wait` for its turn:

- a channel takes about one message per second (chat.postMessage's special tier), with a
  short burst allowed;
- a method takes its tier's budget per minute across the whole app (chat.update,
  conversations.history and friends are Tier 3: 50+ a minute), with sporadic bursts;
- a `Retry-After` Slack sent closes the channel (a post) or the method (anything else) to
  every thread until it has passed, not just to the call that got it.

Each limit is a GCRA bucket (a "theoretical arrival time" per key): a caller reserves the
earliest slot that every limit allows, under one lock, then sleeps outside it, so threads
queue fairly without polling. https://docs.slack.dev/apis/web-api/rate-limits
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

POST_METHOD = "chat.postMessage"
# The tiers of the methods the delivery pool calls (api.slack.com/methods, "Rate limits").
METHOD_TIERS: Mapping[str, int] = {
    "chat.update": 3,
    "conversations.open": 3,
    "conversations.history": 3,
    "conversations.replies": 3,
    "users.lookupByEmail": 3,
    "users.info": 4,
    "files.getUploadURLExternal": 4,
    "files.completeUploadExternal": 4,
}
TIER_PER_MINUTE: Mapping[int, float] = {1: 1.0, 2: 20.0, 3: 50.0, 4: 100.0}


@dataclass(frozen=True)
class PacingLimits:
    """The limits one process keeps to. `posts_per_minute`: Slack's workspace-wide cap on
    chat.postMessage ("several hundred a minute", no exact figure published); None leaves it
    to Slack's 429s."""

    channel_interval_seconds: float = 1.0
    channel_burst: int = 3
    tier_per_minute: Mapping[int, float] = field(default_factory=lambda: dict(TIER_PER_MINUTE))
    method_burst: int = 5
    posts_per_minute: float | None = None

    def per_minute(self, method: str) -> float | None:
        if method == POST_METHOD:
            return self.posts_per_minute
        tier = METHOD_TIERS.get(method)
        return self.tier_per_minute.get(tier) if tier is not None else None


@dataclass
class _Bucket:
    """GCRA: `tat` is when the bucket would be empty again; a call may go once
    `tat - tolerance` has passed."""

    interval: float
    tolerance: float
    tat: float = 0.0
    closed_until: float = 0.0  # a Retry-After

    def allowed_at(self, now: float) -> float:
        return max(now, self.tat - self.tolerance, self.closed_until)

    def take(self, at: float) -> None:
        self.tat = max(self.tat, at) + self.interval


class SlackPacing:
    def __init__(
        self,
        limits: PacingLimits | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limits = limits or PacingLimits()
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = threading.Lock()
        self._channels: dict[str, _Bucket] = {}
        self._methods: dict[str, _Bucket] = {}
        self.waited_seconds = 0.0  # in all, across threads (for benchmarks and logs)
        self.retry_afters = 0

    def wait(self, method: str, channel: str | None = None) -> float:
        """Block until a call of `method` (to `channel`, for a post) is within every limit;
        the slot is reserved for the caller. Returns the seconds waited."""
        with self._lock:
            now = self._monotonic()
            buckets = self._buckets(method, channel)
            at = max((bucket.allowed_at(now) for bucket in buckets), default=now)
            for bucket in buckets:
                bucket.take(at)
            delay = at - now
            self.waited_seconds += delay
        if delay > 0:
            self._sleep(delay)
        return delay

    def retry_after(self, method: str, channel: str | None, seconds: float) -> None:
        """Slack answered 429 with Retry-After: no thread calls `method` (a post: to `channel`)
        before it has passed."""
        with self._lock:
            self.retry_afters += 1
            until = self._monotonic() + seconds
            bucket = (
                self._channel(channel)
                if method == POST_METHOD and channel
                else self._method(method, always=True)
            )
            assert bucket is not None
            bucket.closed_until = max(bucket.closed_until, until)

    def _buckets(self, method: str, channel: str | None) -> list[_Bucket]:
        found = []
        if method == POST_METHOD and channel:
            found.append(self._channel(channel))
        method_bucket = self._method(method)
        if method_bucket is not None:
            found.append(method_bucket)
        return found

    def _channel(self, channel: str) -> _Bucket:
        bucket = self._channels.get(channel)
        if bucket is None:
            interval = self.limits.channel_interval_seconds
            bucket = _Bucket(interval, interval * max(0, self.limits.channel_burst - 1))
            self._channels[channel] = bucket
        return bucket

    def _method(self, method: str, *, always: bool = False) -> _Bucket | None:
        bucket = self._methods.get(method)
        if bucket is None:
            per_minute = self.limits.per_minute(method)
            if per_minute is None and not always:
                return None  # unpaced: only a Retry-After would ever close it
            interval = 60.0 / per_minute if per_minute else 0.0
            bucket = _Bucket(interval, interval * max(0, self.limits.method_burst - 1))
            self._methods[method] = bucket
        return bucket
