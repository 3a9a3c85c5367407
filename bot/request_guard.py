"""HTTP mode's request path: a signed body Tandem cannot use is answered 400, never a 500.

Bolt's WSGI adapter parses the body before anything else, so a correctly signed body that is
not JSON, is JSON `null`, is not UTF-8, or has the wrong shape used to raise inside the
adapter (or in a listener indexing `body["actions"][0]`) and came back as a 500.

`GuardedSlackRequestHandler` parses the body itself (`bot.slack_payloads`) and checks its
shape. A body it refuses is not answered on the spot: it goes through Bolt with an empty body
and the refusal in its context, so Bolt's own signature verification still runs first on the
exact raw body (unsigned garbage stays a 401), and `refuse_bad_requests`, a global middleware
that runs right after it, answers 400 (or a slash command's private message). Only two answers
come before Bolt: a body that is not UTF-8 (400: Slack never sends one and Bolt's verifier can
only read text) and a timestamp header that is not a number (401: Bolt's verifier would raise).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.request.internals import build_context

from bot.slack_payloads import Refusal, parse_body, refusal_for

logger = logging.getLogger(__name__)
REFUSAL = "tandem_refusal"  # the context key carrying what the guard found


class ParsedRequest(BoltRequest):
    """A BoltRequest whose body Tandem parsed, and whose lazy copies keep that body.

    (Bolt's copy for a lazy listener parses the raw body again with its own parser.)"""

    def __init__(
        self,
        *,
        raw_body: str,
        body: dict[str, Any],
        query: str | dict[str, Any] | None,
        headers: dict[str, Any],
        context: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(body="", query=query, headers=headers, context=context)
        self.raw_body = raw_body  # what Bolt verifies the signature over
        self.body = body
        self.context = build_context(self.context, body)

    def to_copyable(self) -> BoltRequest:
        return ParsedRequest(
            raw_body=self.raw_body,
            body=self.body,
            query=self.query,
            headers=dict(self.headers),
            context=self.context.to_copyable(),
        )


class GuardedSlackRequestHandler(SlackRequestHandler):
    """Bolt's WSGI handler, with Tandem's parsing and shape check in front of `App.dispatch`."""

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        headers = request.get_headers()
        timestamp = str(headers.get("x-slack-request-timestamp", "0"))
        if not (timestamp.isascii() and timestamp.isdigit()):
            return BoltResponse(status=401, body={"error": "invalid request"})
        length = int(request.environ.get("CONTENT_LENGTH") or 0)
        raw = request.environ["wsgi.input"].read(length) if "wsgi.input" in request.environ else b""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return _answer(Refusal("the body is not UTF-8 text"))
        query = request.query_string
        try:
            body = parse_body(text, _content_type(headers))
            refusal = refusal_for(body)
            parsed = (
                None if refusal else ParsedRequest(raw_body=text, body=body, query=query, headers=headers)
            )
        except Exception as error:  # whatever the untrusted bytes break while being read: a bad request
            refusal, parsed = Refusal(f"the body does not parse ({type(error).__name__})"), None
        if parsed is not None:
            return self.app.dispatch(parsed)
        # Through Bolt all the same: its signature check decides between 401 and our answer.
        return self.app.dispatch(
            ParsedRequest(raw_body=text, body={}, query=query, headers=headers, context={REFUSAL: refusal})
        )


def refuse_bad_requests(req: BoltRequest, next: Callable[[], BoltResponse]) -> BoltResponse | None:
    """Global middleware (after Bolt's signature check): answer what the guard refused.

    In Socket Mode no guard runs (Slack's WebSocket delivers parsed JSON), so the shape is
    checked here."""
    refusal = req.context.get(REFUSAL)
    if refusal is None and req.mode == "socket_mode":
        refusal = refusal_for(req.body)
    if refusal is None:
        return next()
    return _answer(refusal)


def _answer(refusal: Refusal) -> BoltResponse:
    logger.info("refused a Slack request: %s", refusal.reason)
    if refusal.reply is not None:
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": refusal.reply})
    return BoltResponse(status=400, body={"ok": False, "error": "bad_request", "reason": refusal.reason})


def _content_type(headers: dict[str, Any]) -> str | None:
    value = headers.get("content-type")
    return str(value).split(";")[0].strip() if value else None
