"""An in-memory stand-in for Slack behind the MessagePoster seam: posts are recorded with a ts
and their metadata, updates change them, history can be searched, and a post can be told to
fail. Unlike the terminal preview, what it posts counts as delivered."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.posting import FileUpload, MessageTag, PostedMessage


@dataclass
class RecordingPoster:
    posted: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    uploads: list[dict[str, Any]] = field(default_factory=list)
    fail_next: list[Exception] = field(default_factory=list)  # raised by the next posts, in order
    is_preview = False
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def post(
        self,
        *,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]],
        tag: MessageTag | None = None,
        thread_ts: str | None = None,
    ) -> PostedMessage:
        if self.fail_next:
            raise self.fail_next.pop(0)
        dm = "D" + channel[1:] if channel.startswith(("U", "W")) else channel
        ts = f"1700000000.{next(self._counter):06d}"
        self.posted.append({"channel": channel, "channel_id": dm, "text": text, "blocks": blocks, "ts": ts,
                            "tag": tag, "thread_ts": thread_ts})  # fmt: skip
        return PostedMessage(channel_id=dm, ts=ts)

    def update(self, *, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        self.updates.append({"channel": channel, "ts": ts, "text": text, "blocks": blocks})

    def upload(self, *, channel: str, file: FileUpload) -> PostedMessage:
        if self.fail_next:
            raise self.fail_next.pop(0)
        file_id = f"F{next(self._counter):08d}"
        self.uploads.append({"channel": channel, "file": file, "file_id": file_id})
        return PostedMessage(channel_id=channel, ts=file_id)

    def find_posted(
        self, *, channel: str, tag: MessageTag, since: datetime, thread_ts: str | None = None
    ) -> PostedMessage | None:
        """Like Slack: a channel's history holds no replies; a thread (`thread_ts`) holds only its own."""
        for message in self.posted:
            if message["channel"] == channel and message["tag"] == tag and message["thread_ts"] == thread_ts:
                return PostedMessage(channel_id=message["channel_id"], ts=message["ts"])
        return None

    def to(self, channel: str) -> list[dict[str, Any]]:
        return [message for message in self.posted if message["channel"] == channel]
