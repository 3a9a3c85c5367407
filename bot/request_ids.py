"""A request id for each Slack request, on every log line the request causes.

The id lives in a context variable. HTTP mode's WSGI app (bot.http_app) sets it as a request
arrives, so even a refused request's line carries one; `dispatch_tagged`, around Bolt's
dispatch (bot.app_factory), sets it when nothing has (Socket Mode), puts it in the listener's
context and logs one line per request (what it was, the answer's status, how long). (A Bolt
middleware cannot do this: its `next()` returns before the listener runs.) `ContextCopyingExecutor` carries the id
into the threads Bolt runs listeners and lazy listeners on (after the ack), and
`RequestIdFilter` copies it onto each log record (bot.log_format writes it out).

Slack's retry number and reason, when Slack sent the request again, ride along with the id,
so a retried click's lines say so.
"""

from __future__ import annotations

import contextvars
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from slack_bolt import BoltRequest, BoltResponse

logger = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

# request_id, and slack_retry_num / slack_retry_reason when Slack retried the request
_tags: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("tandem_request", default=None)
RETRY_HEADERS = (("x-slack-retry-num", "slack_retry_num"), ("x-slack-retry-reason", "slack_retry_reason"))
MAX_TAG_CHARS = 64  # header values and payload names are bounded before they reach a log line


def current_request_id() -> str | None:
    tags = _tags.get()
    return tags["request_id"] if tags else None


@contextmanager
def tagged_request(headers: Mapping[str, Any]) -> Iterator[str]:
    """Tag what runs inside (this thread, and executors that copy the context) with a new
    request id, unless it already runs inside one; yields the id. `headers` are lower-case
    names, each a value or a list of values (Bolt's shape)."""
    outer = _tags.get()
    if outer is not None:
        yield outer["request_id"]
        return
    tags = {"request_id": uuid.uuid4().hex[:16]}
    for header, name in RETRY_HEADERS:
        value = headers.get(header)
        if isinstance(value, list | tuple):
            value = value[0] if value else None
        if value:
            tags[name] = str(value)[:MAX_TAG_CHARS]
    token = _tags.set(tags)
    try:
        yield tags["request_id"]
    finally:
        _tags.reset(token)


def wsgi_headers(environ: Mapping[str, Any]) -> dict[str, str]:
    """Slack's retry headers from a WSGI environ, under the names `tagged_request` reads."""
    return {
        header: environ[key]
        for header, _ in RETRY_HEADERS
        if (key := "HTTP_" + header.upper().replace("-", "_")) in environ
    }


def dispatch_tagged(dispatch: Callable[[BoltRequest], BoltResponse], req: BoltRequest) -> BoltResponse:
    """Run Bolt's `dispatch` for `req` under its request id (in its context too), and log one
    line when it is answered: what it was, who sent it, the status and how long it took."""
    with tagged_request(req.headers) as request_id:
        req.context["request_id"] = request_id
        started = time.perf_counter()
        response = dispatch(req)
        logger.info(
            "slack %s from %s answered %s in %.0f ms",
            describe(req.body),
            req.context.user_id or "?",
            response.status,
            (time.perf_counter() - started) * 1000,
        )
        return response


def describe(body: Mapping[str, Any]) -> str:
    """What a Slack request is, in a few words: 'block_actions card_approve', 'command /veto'."""
    if not isinstance(body, Mapping):
        return "request"
    if body.get("command"):
        return f"command {str(body['command'])[:MAX_TAG_CHARS]}"
    kind = str(body.get("type") or "request")[:MAX_TAG_CHARS]
    detail: Any = None
    if kind == "event_callback":
        event = body.get("event")
        detail, kind = (event.get("type") if isinstance(event, Mapping) else None), "event"
    elif kind == "block_actions":
        actions = body.get("actions")
        first = actions[0] if isinstance(actions, list) and actions else None
        detail = first.get("action_id") if isinstance(first, Mapping) else None
    elif kind in ("view_submission", "view_closed"):
        view = body.get("view")
        detail = view.get("callback_id") if isinstance(view, Mapping) else None
    return f"{kind} {str(detail)[:MAX_TAG_CHARS]}" if detail else kind


class ContextCopyingExecutor(ThreadPoolExecutor):
    """A thread pool whose tasks run in the context they were submitted from (the request's id)."""

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        context = contextvars.copy_context()
        return super().submit(context.run, fn, *args, **kwargs)  # type: ignore[arg-type]


class RequestIdFilter(logging.Filter):
    """Puts the request's id (and Slack's retry tags) on every record logged inside a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in (_tags.get() or {}).items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True
