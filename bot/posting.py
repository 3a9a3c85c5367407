"""Where messages go: Slack's Web API, or the terminal when no Slack token is set.

Workflows post through a MessagePoster, so `cycle`, `digest` and `demo` share one code path
whether or not a workspace is connected. A poster also uploads files (a chart into a message's
thread, through `files_upload_v2`). A terminal poster is a *preview*: what it renders
never reached anyone, so nothing it shows may be recorded as posted.

Tandem tags what it owes with Slack message metadata (`event_type` and an id in
`event_payload`), so after a crash it can find in a channel's history a message it posted
but never recorded, instead of posting it twice. A reply in a thread is not in the channel's
history (`conversations.history` returns parent messages only): it is looked for in its thread,
with `conversations.replies`.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, TextIO

from slack_sdk import WebClient

from bot.blocks.slack_dates import plain_dates
from bot.delivery.pacing import SlackPacing

HISTORY_PAGES = 5  # pages of channel history searched for a message Tandem lost track of
HISTORY_PAGE_SIZE = 200
CLOCK_SKEW = timedelta(minutes=5)  # Slack's ts and our clock may disagree a little


@dataclass(frozen=True, slots=True)
class PostedMessage:
    channel_id: str
    ts: str


@dataclass(frozen=True, slots=True)
class MessageTag:
    """Slack message metadata naming what Tandem owed: e.g. ("tandem_delivery", 42)."""

    event_type: str
    id: int

    def as_metadata(self) -> dict[str, Any]:
        return {"event_type": self.event_type, "event_payload": {"id": self.id}}

    def matches(self, metadata: Any) -> bool:
        if not isinstance(metadata, dict) or metadata.get("event_type") != self.event_type:
            return False
        payload = metadata.get("event_payload")
        return isinstance(payload, dict) and str(payload.get("id")) == str(self.id)


@dataclass(frozen=True, slots=True)
class FileUpload:
    """A file to share in a channel, in the thread of `thread_ts` when set."""

    content: bytes
    filename: str
    title: str
    alt_text: str = ""
    thread_ts: str | None = None
    comment: str | None = None


class MessagePoster(Protocol):
    @property
    def is_preview(self) -> bool:
        """True when nothing posted reaches anyone (the terminal): record nothing as posted."""
        ...

    def post(
        self,
        *,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]],
        tag: MessageTag | None = None,
        thread_ts: str | None = None,
    ) -> PostedMessage:
        """Post in `channel` (a user id: the DM with them), in the thread of `thread_ts` when set."""
        ...

    def update(self, *, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None: ...

    def upload(self, *, channel: str, file: FileUpload) -> PostedMessage:
        """Share `file` in `channel` (a channel id); the answer's `ts` is the file's id."""
        ...

    def find_posted(
        self, *, channel: str, tag: MessageTag, since: datetime, thread_ts: str | None = None
    ) -> PostedMessage | None:
        """A message carrying `tag` posted in `channel` (a user id: the DM with them) since then;
        with `thread_ts`, a reply in the thread of that message (where `post` put it)."""
        ...


class SlackPoster:
    """Posts with chat.postMessage; a user id as channel opens the DM with the app.

    Safe to share between threads: with `pacing`, every call first waits for its turn within
    Slack's per-channel and per-method limits (bot.delivery.pacing)."""

    is_preview = False

    def __init__(self, client: WebClient, *, pacing: SlackPacing | None = None) -> None:
        self._client = client
        self._pacing = pacing
        self._dm_channels: dict[str, str] = {}  # user id → their DM with the app (it never changes)
        self._channel_locks: dict[str, threading.Lock] = {}  # channel → held while a post to it is in flight
        self._lock = threading.Lock()

    @property
    def client(self) -> WebClient:
        """The Web API client it posts with (other reads, such as chat.getPermalink, share it)."""
        return self._client

    def _turn(self, method: str, channel: str | None = None) -> None:
        if self._pacing is not None:
            self._pacing.wait(method, channel)

    def post(
        self,
        *,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]],
        tag: MessageTag | None = None,
        thread_ts: str | None = None,
    ) -> PostedMessage:
        metadata = tag.as_metadata() if tag else None
        # One post at a time per channel: a post whose turn came while another to the same DM
        # was in flight went out before that one's 429 was read, ignoring its Retry-After.
        with self._in_flight(channel):
            self._turn("chat.postMessage", channel)
            response = self._client.chat_postMessage(
                channel=channel, text=text, blocks=blocks, metadata=metadata, thread_ts=thread_ts
            )
        return PostedMessage(channel_id=str(response["channel"]), ts=str(response["ts"]))

    def _in_flight(self, channel: str) -> threading.Lock:
        with self._lock:
            lock = self._channel_locks.get(channel)
            if lock is None:
                lock = self._channel_locks[channel] = threading.Lock()
            return lock

    def update(self, *, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        self._turn("chat.update")
        self._client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)

    def upload(self, *, channel: str, file: FileUpload) -> PostedMessage:
        self._turn("files.getUploadURLExternal")
        self._turn("files.completeUploadExternal")
        response = self._client.files_upload_v2(
            channel=channel, thread_ts=file.thread_ts, initial_comment=file.comment,
            file=file.content, filename=file.filename, title=file.title, alt_txt=file.alt_text or None,
        )  # fmt: skip
        files = response.get("files") or [response.get("file") or {}]
        return PostedMessage(channel_id=channel, ts=str(files[0].get("id") or ""))

    def find_posted(
        self, *, channel: str, tag: MessageTag, since: datetime, thread_ts: str | None = None
    ) -> PostedMessage | None:
        if channel.startswith(("U", "W")):  # a user id: their DM with the app
            channel = self._dm_channel(channel)
        oldest = f"{(since - CLOCK_SKEW).timestamp():.6f}"
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            self._turn("conversations.history" if thread_ts is None else "conversations.replies")
            if thread_ts is None:
                page = self._client.conversations_history(
                    channel=channel, oldest=oldest, limit=HISTORY_PAGE_SIZE, include_all_metadata=True,
                    cursor=cursor,
                )  # fmt: skip
            else:  # replies are not in the channel's history: the thread, its parent first
                page = self._client.conversations_replies(
                    channel=channel, ts=thread_ts, oldest=oldest, limit=HISTORY_PAGE_SIZE,
                    include_all_metadata=True, cursor=cursor,
                )  # fmt: skip
            for message in page.get("messages") or []:
                if message.get("ts") != thread_ts and tag.matches(message.get("metadata")):
                    return PostedMessage(channel_id=channel, ts=str(message["ts"]))
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not page.get("has_more") or not cursor:
                return None
        return None

    def _dm_channel(self, user_id: str) -> str:
        with self._lock:
            known = self._dm_channels.get(user_id)
        if known is not None:
            return known
        self._turn("conversations.open")
        opened = self._client.conversations_open(users=user_id)
        channel = str(opened["channel"]["id"])
        with self._lock:
            self._dm_channels[user_id] = channel
        return channel


@dataclass
class TerminalPoster:
    """Renders what would be posted, for `demo` and for `cycle` without a Slack token."""

    out: TextIO
    show_blocks: bool = False
    posted: list[dict[str, Any]] = field(default_factory=list)
    is_preview = True

    def post(
        self,
        *,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]],
        tag: MessageTag | None = None,
        thread_ts: str | None = None,
    ) -> PostedMessage:
        ts = f"preview-{len(self.posted) + 1}"  # never stored: a preview reached no one
        self.posted.append({"channel": channel, "text": text, "blocks": blocks, "ts": ts, "tag": tag})
        where = f"{channel} (in the thread of {thread_ts})" if thread_ts else channel
        self.out.write(render_blocks(where, text, blocks))
        if self.show_blocks:
            self.out.write(json.dumps(blocks, indent=2) + "\n")
        return PostedMessage(channel_id=channel, ts=ts)

    def update(self, *, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        self.out.write(render_blocks(channel, f"(updated in place) {text}", blocks))

    def upload(self, *, channel: str, file: FileUpload) -> PostedMessage:
        where = f" (in the thread of {file.thread_ts})" if file.thread_ts else ""
        self.out.write(
            f"┌─ to {channel}{where}\n│ [file] {file.title}: {file.filename}, {len(file.content):,} bytes\n└─\n"
        )
        return PostedMessage(channel_id=channel, ts=f"preview-file-{len(self.posted) + 1}")

    def find_posted(
        self, *, channel: str, tag: MessageTag, since: datetime, thread_ts: str | None = None
    ) -> PostedMessage | None:
        return None  # nothing rendered in a terminal is ever in Slack


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
    lines = [plain_dates(line) for line in lines]
    return "\n".join(lines) + "\n"
