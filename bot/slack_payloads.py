"""What a request from Slack must look like before any listener sees it (pure, no I/O).

A valid signature proves Slack (or someone holding the secret) sent the bytes, not that they
make sense: `parse_body` and `refusal_for` turn a body Tandem cannot use into a `Refusal`
(answered 400 by `bot.request_guard`, or, for a slash command whose text holds a NUL, a private
message), and the listeners read ids out of a payload with `row_id` and friends, which raise
`MalformedRequest` (answered 400 by the one error handler) instead of a KeyError or a 500.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

NUL = "\x00"
MAX_ROW_ID = 2**31 - 1  # PostgreSQL's integer: a bigger "id" is not ours
NUL_IN_COMMAND = (
    "That text holds a NUL character (\\0), which Tandem cannot store or search for. "
    "Nothing was changed; type the command again without it."
)
EVENT_TYPES_WITH_AN_EVENT = frozenset({"event_callback"})
TYPES_WITH_A_USER = frozenset(
    {"block_actions", "view_submission", "view_closed", "shortcut", "message_action"}
)
# Events Tandem listens to, and the text fields its listeners read (they run after Bolt's ack,
# so a missing one could not be answered 400 there)
EVENT_FIELDS = {
    "app_home_opened": ("user",),
    "member_joined_channel": ("user", "channel"),
    "channel_shared": ("channel",),
}


class MalformedRequest(ValueError):
    """A signed request whose content is not what Tandem sent or Slack sends: 400, nothing done."""


@dataclass(frozen=True)
class Refusal:
    reason: str  # for the log and the 400 body (our words, never the request's)
    reply: str | None = None  # a slash command's private answer (200) instead of a 400


def parse_body(text: str, content_type: str | None) -> Any:
    """The request's data, as Slack means it: JSON (events), a `payload` form field holding JSON
    (interactivity), or flat form fields (slash commands).

    Bolt's own parser decides "interactivity" when the word payload appears anywhere in the raw
    body, so `/veto Acme: the payload team` reached no listener; this looks at the form's fields.
    Raises ValueError (json.JSONDecodeError) when the JSON does not parse.
    """
    if content_type == "application/json" or text.startswith("{"):
        return json.loads(text)
    if not text:
        return {}
    fields = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in fields:
        return json.loads(fields["payload"])
    return fields


def refusal_for(body: Any) -> Refusal | None:
    """Why Tandem will not act on `body` (parsed by `parse_body`), or None when it looks right."""
    if not isinstance(body, dict):
        return Refusal(f"the body is a JSON {type(body).__name__}, not an object")
    if "ssl_check" in body:
        return None  # Slack's certificate check: Bolt answers it
    if "command" in body:
        return _slash_command(body)
    kind = body.get("type")
    if not isinstance(kind, str) or not kind:
        return Refusal("the body is neither a slash command nor a typed payload")
    if _holds_nul(body):
        return Refusal("a value holds a NUL character")
    if kind in TYPES_WITH_A_USER and not _user_id(body):
        return Refusal(f"a {kind} payload without a user id")
    if kind == "block_actions":
        return _actions(body.get("actions"))
    if kind in ("view_submission", "view_closed"):
        view = body.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("callback_id"), str):
            return Refusal(f"a {kind} payload without a view and its callback id")
        if not isinstance(view.get("private_metadata", ""), str):
            return Refusal("a view whose private_metadata is not text")
        if not _state_values(view.get("state", {})):
            return Refusal("a view whose state is not values[block][action] objects")
    if kind in EVENT_TYPES_WITH_AN_EVENT:
        event = body.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            return Refusal("an event_callback without an event type")
        needed = EVENT_FIELDS.get(event["type"], ())
        if not all(isinstance(event.get(name), str) and event[name] for name in needed):
            return Refusal(f"a {event['type']} event without {', '.join(needed)}")
    return None


def _slash_command(body: dict[str, Any]) -> Refusal | None:
    command, user = body.get("command"), body.get("user_id")
    if not isinstance(command, str) or not command.startswith("/"):
        return Refusal("a slash command without its command")
    if not isinstance(user, str) or not user:
        return Refusal("a slash command without a user id")
    if _holds_nul({key: value for key, value in body.items() if key != "text"}):
        return Refusal("a value holds a NUL character")
    if NUL in str(body.get("text") or ""):
        return Refusal("the command's text holds a NUL character", reply=NUL_IN_COMMAND)
    return None


def _actions(actions: Any) -> Refusal | None:
    if not isinstance(actions, list) or not actions:
        return Refusal("a block_actions payload without actions")
    if not all(isinstance(action, dict) and isinstance(action.get("action_id"), str) for action in actions):
        return Refusal("an action without an action id")
    return None


def _state_values(state: Any) -> bool:
    """Slack's `view.state`: {"values": {block_id: {action_id: {…}}}}."""
    if not isinstance(state, dict):
        return False
    values = state.get("values", {})
    return isinstance(values, dict) and all(
        isinstance(block, dict) and all(isinstance(element, dict) for element in block.values())
        for block in values.values()
    )


def _user_id(body: dict[str, Any]) -> str | None:
    user = body.get("user")
    user_id = user.get("id") if isinstance(user, dict) else None
    return user_id if isinstance(user_id, str) and user_id else None


def _holds_nul(value: Any) -> bool:
    """A NUL anywhere in `value`'s keys or text (iterative: deep JSON cannot blow the stack)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def row_id(value: Any) -> int:
    """A database id Tandem put in a button's value or a modal's metadata, or MalformedRequest."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        number = int(value)
        if 0 < number <= MAX_ROW_ID:
            return number
    raise MalformedRequest("not one of Tandem's ids")


def first_action(body: dict[str, Any]) -> dict[str, Any]:
    """The clicked action (the request guard has checked there is one)."""
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise MalformedRequest("no action")
    return actions[0]


def action_value(body: dict[str, Any]) -> str:
    """The clicked button's value, or the chosen option's value of a menu."""
    action = first_action(body)
    if "selected_option" in action:
        option = action["selected_option"]
        value = option.get("value") if isinstance(option, dict) else None
    else:
        value = action.get("value")
    if not isinstance(value, str):
        raise MalformedRequest("an action without a value")
    return value


def view_row_id(view: dict[str, Any]) -> int:
    """The id a modal of ours carries in its private_metadata."""
    return row_id(view.get("private_metadata"))
