"""The one place Slack Web API clients are made: SLACK_API_URL and retries apply to all."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

if TYPE_CHECKING:
    from bot.metrics import Metrics

DEFAULT_API_URL = "https://slack.com/api/"


def make_web_client(
    *, token: str | None, api_url: str | None, rate_limit_retries: int = 2, metrics: Metrics | None = None
) -> WebClient:
    """`rate_limit_retries`: how many 429s in a row one call waits out (Retry-After each time);
    a bulk job (the import's people lookups) allows more than an interactive answer does.
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
            RateLimitErrorRetryHandler(max_retry_count=rate_limit_retries),  # honours Retry-After
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )
