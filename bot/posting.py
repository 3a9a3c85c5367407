"""Where messages go: Slack's Web API, or the terminal when no Slack token is set.

Workflows post through a MessagePoster, so `cycle`, `digest` and `demo` share one code path
whether or not a workspace is connected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

from slack_sdk import WebClient


@dataclass(frozen=True, slots=True)
class PostedMessage:
    channel_id: str
    ts: str


class MessagePoster(Protocol):
    def post(self, *, channel: str, text: str, blocks: list[dict[str, Any]]) -> PostedMessage: ...

    def update(self, *, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None: ...


class SlackPoster:
    """Posts with chat.postMessage; a user id as channel opens the DM with the app."""

    def __init__(self, client: WebClient) -> None:
        self._client = client

    def post(self, *, channel: str, text: str, blocks: list[dict[str, Any]]) -> PostedMessage:
        response = self._client.chat_postMessage(channel=channel, text=text, blocks=blocks)
        return PostedMessage(channel_id=str(response["channel"]), ts=str(response["ts"]))

    def update(self, *, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        self._client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)


@dataclass
class TerminalPoster:
    """Renders what would be posted, for `demo` and for `cycle` without a Slack token."""

    out: TextIO
    show_blocks: bool = False
    posted: list[dict[str, Any]] = field(default_factory=list)

    def post(self, *, channel: str, text: str, blocks: list[dict[str, Any]]) -> PostedMessage:
        ts = f"{len(self.posted) + 1}.000000"
        self.posted.append({"channel": channel, "text": text, "blocks": blocks, "ts": ts})
        self.out.write(render_blocks(channel, text, blocks))
        if self.show_blocks:
            self.out.write(json.dumps(blocks, indent=2) + "\n")
        return PostedMessage(channel_id=channel, ts=ts)

    def update(self, *, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        self.out.write(render_blocks(channel, f"(updated {ts}) {text}", blocks))


def render_blocks(channel: str, text: str, blocks: list[dict[str, Any]]) -> str:
    """A readable plain-text rendering of a Block Kit message."""
    lines = [f"┌─ to {channel}", f"│ {text}"]
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"│ ══ {block['text']['text']} ══")
        elif kind == "section":
            if "text" in block:
                lines.extend(f"│ {line}" for line in block["text"]["text"].splitlines())
            fields = [item["text"].replace("\n", " ") for item in block.get("fields", [])]
            if fields:
                lines.append("│ " + " · ".join(fields))
        elif kind == "context":
            parts = [el.get("text", "") for el in block.get("elements", [])]
            lines.append(f"│ ({' · '.join(parts)})")
        elif kind == "actions":
            labels = [el.get("text", {}).get("text", "?") for el in block.get("elements", [])]
            lines.append("│ " + "  ".join(f"[ {label} ]" for label in labels))
        elif kind == "divider":
            lines.append("│ ───")
    lines.append("└─")
    return "\n".join(lines) + "\n"
