"""The Slack call observer survives Bolt's deep copy of a request for a lazy listener."""

from __future__ import annotations

import copy

from bot.metrics import Metrics, SlackCallObserver
from bot.slack_client import make_web_client


def test_a_deep_copied_client_counts_into_the_same_metrics() -> None:
    metrics = Metrics()
    client = make_web_client(token="xoxb-test", api_url="http://127.0.0.1:9/api/", metrics=metrics)

    copied = copy.deepcopy(
        client
    )  # what Bolt does to a request's context (and its client) for a lazy listener

    observers = [handler for handler in copied.retry_handlers if isinstance(handler, SlackCallObserver)]
    assert observers == [client.retry_handlers[0]]  # the same observer, first in line
