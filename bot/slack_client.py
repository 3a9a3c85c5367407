"""The one place Slack Web API clients are made: SLACK_API_URL and retries apply to all.

slack-sdk's retry handlers do the retrying; two small additions fit them to a pool of posting
threads: a 429's Retry-After is also told to the process's pacing (bot.delivery.pacing), so
every thread holds off, not just the one that got it; and a chat.postMessage answered 500/503
is not retried blindly, because Slack may have posted it before failing: the delivery engine
looks for it in the channel (by its metadata tag) before posting again.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.delivery.pacing import SlackPacing
from bot.metrics import api_method

if TYPE_CHECKING:
    from bot.metrics import Metrics

DEFAULT_API_URL = "https://slack.com/api/"
NOT_IDEMPOTENT = frozenset({"chat.postMessage"})  # a 5xx may hide a message that was posted


def make_web_client(
    *,
    token: str | None,
    api_url: str | None,
    rate_limit_retries: int = 2,
    pacing: SlackPacing | None = None,
    metrics: Metrics | None = None,
) -> WebClient:
    """`rate_limit_retries`: how many 429s in a row one call waits out (Retry-After each time);
    a bulk job (the import's people lookups) allows more than an interactive answer does.
    `pacing`: shared with the poster that paces its calls, to learn every Retry-After.
    `metrics`: count every call, retry and error by method (bot.metrics)."""
    base_url = api_url or DEFAULT_API_URL
    if not base_url.endswith("/"):
        base_url += "/"
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=10,
        retry_handlers=[
            *([metrics.slack_observer()] if metrics else []),  # first: it sees every attempt
            ConnectionErrorRetryHandler(max_retry_count=2),
            SharedRateLimitRetryHandler(pacing, max_retry_count=rate_limit_retries),
            IdempotentServerErrorRetryHandler(max_retry_count=2),
        ],
    )


class SharedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """slack-sdk's handler (waits out Retry-After, then retries), telling `pacing` first."""

    def __init__(self, pacing: SlackPacing | None, *, max_retry_count: int) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._pacing = pacing

    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        retrying = super().can_retry(state=state, request=request, response=response, error=error)
        if not retrying and self._pacing is not None and response is not None and response.status_code == 429:
            # slack-sdk gives this call up (its retries are spent) and the caller fails, but the
            # Retry-After still holds: the next post to that DM, from any thread, waits it out.
            self._pacing.retry_after(method_of(request), channel_of(request), retry_after_seconds(response))
        return retrying

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if self._pacing is None or response is None:
            super().prepare_for_next_attempt(state=state, request=request, response=response, error=error)
            return
        method, channel = method_of(request), channel_of(request)
        self._pacing.retry_after(method, channel, retry_after_seconds(response))
        super().prepare_for_next_attempt(state=state, request=request, response=response, error=error)
        self._pacing.wait(method, channel)  # the retry takes its turn like any call


class IdempotentServerErrorRetryHandler(ServerErrorRetryHandler):
    """slack-sdk's 500/503 retries, for every method whose repeat cannot post twice."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if method_of(request) in NOT_IDEMPOTENT:
            return False
        return super()._can_retry(state=state, request=request, response=response, error=error)


def method_of(request: HttpRequest) -> str:
    return api_method(request.url)


def channel_of(request: HttpRequest) -> str | None:
    """The `channel` argument of a call, whether slack-sdk sent it as JSON or as a form."""
    params: dict[str, Any] = dict(request.body_params or {})
    if not params and request.data:
        raw = request.data.decode(errors="replace")
        try:
            decoded = json.loads(raw)
            params = decoded if isinstance(decoded, dict) else {}
        except ValueError:
            params = {key: values[0] for key, values in parse_qs(raw).items()}
    channel = params.get("channel")
    return str(channel) if channel else None


def retry_after_seconds(response: HttpResponse) -> float:
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            try:
                return float(values[0])
            except ValueError:
                break
    return 1.0  # what slack-sdk's handler waits when Slack names no time
