"""`python app.py listen backfill [--days 90] [--channel C…]`: the history of linked channels,
stored the way message events are (bot.conversations.ingest), so a message heard both ways is
stored once.

conversations.history is read newest first in pages (cursor and limit, `oldest` = now − days),
and the thread of every message with replies through conversations.replies (also paged). Each
call waits its turn in Tier 3 (bot.delivery.pacing, ~50 a minute) and a 429's Retry-After is
waited out by the client (bot.slack_client). After each page the channel keeps the next cursor,
the oldest time and "running"; a rerun after a stop continues from that cursor, and a channel
whose history is all read is "done": a rerun does nothing unless --days reaches further back.
Message text is never printed or logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TextIO

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.conversations.heard import Garbled, from_message
from bot.conversations.ingest import ConversationsConfig, Listener, Outcome
from bot.delivery.pacing import SlackPacing
from bot.deps import Deps
from bot.progress import Reporter, track
from storage.db import transaction
from storage.enums import ChannelState
from storage.repositories import conversation_messages as store

logger = logging.getLogger(__name__)
PAGE_LIMIT = 200  # Slack suggests no more than 200 a page
RUNNING, DONE = "running", "done"


@dataclass
class ChannelRun:
    channel_id: str
    pages: int = 0
    read: int = 0
    stored: int = 0
    resumed: bool = False
    outcome: str = ""  # done / already done / stopped: why
    failed: bool = False

    def line(self) -> str:
        start = " (resumed from its stored cursor)" if self.resumed else ""
        return (
            f"{self.channel_id}: {self.pages} pages, {self.read} messages read, {self.stored} new{start}; "
            f"{self.outcome}"
        )


@dataclass
class BackfillRun:
    channels: list[ChannelRun] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not any(run.failed for run in self.channels)

    def render(self) -> str:
        lines = [run.line() for run in self.channels] + [f"PROBLEM: {p}" for p in self.problems]
        return "\n".join(lines or ["no linked channel to read"])


def ts_at(moment: datetime) -> str:
    return f"{int(moment.timestamp())}.000000"


def backfill(
    deps: Deps,
    client: WebClient,
    *,
    days: int,
    channel_id: str | None = None,
    pacing: SlackPacing | None = None,
    progress: Reporter | None = None,
) -> BackfillRun:
    pacing = pacing or SlackPacing(deps.settings.pacing)
    run = BackfillRun()
    with deps.session_factory() as session:
        channels = [
            (c.channel_id, c.state, c.backfill_state, c.backfill_oldest, c.backfill_cursor)
            for c in store.channels_to_backfill(session, channel_id)
        ]
    if channel_id is not None and not channels:
        run.problems.append(f"{channel_id} is not a channel Tandem was invited to")
        return run
    if channel_id is not None and channels[0][1] != ChannelState.LINKED:
        run.problems.append(f"{channel_id} is {channels[0][1]}, not linked: its history is not read")
        return run
    team = str(client.auth_test().get("team_id") or "")
    listener = Listener(
        session_factory=deps.session_factory,
        clock=deps.clock,
        retention_days=deps.settings.conversation_retention_days,
        config=ConversationsConfig(deps.session_factory),
    )
    wanted = ts_at(deps.clock.now() - timedelta(days=days))
    for channel, _, state, stored_oldest, cursor in channels:
        reader = _Reader(deps, client, pacing, listener, frozenset({team}), progress)
        run.channels.append(reader.read(channel, wanted, state, stored_oldest, cursor))
    return run


@dataclass
class _Reader:
    deps: Deps
    client: WebClient
    pacing: SlackPacing
    listener: Listener
    teams: frozenset[str]
    progress: Reporter | None

    def read(
        self, channel: str, wanted: str, state: str | None, stored_oldest: str | None, cursor: str | None
    ) -> ChannelRun:
        run = ChannelRun(channel)
        covered = stored_oldest is not None and float(stored_oldest) <= float(wanted)
        if state == DONE and covered:
            run.outcome = "already done"
            return run
        oldest = wanted
        if state == RUNNING and covered and cursor:
            oldest, run.resumed = str(stored_oldest), True
        else:
            cursor = None  # a first run, or --days reaching further back: from the newest again
        self._save(channel, cursor, oldest, RUNNING)
        try:
            while True:
                self.pacing.wait("conversations.history")
                page = self.client.conversations_history(
                    channel=channel, oldest=oldest, limit=PAGE_LIMIT, cursor=cursor or None
                )
                run.pages += 1
                if not self._store(channel, page.get("messages") or [], run, with_threads=True):
                    run.outcome = "stopped: the channel is no longer linked (rerun continues once it is)"
                    return run
                cursor = _next_cursor(page)
                self._save(channel, cursor, oldest, RUNNING if cursor else DONE)
                if not cursor:
                    run.outcome = "done"
                    return run
        except SlackApiError as error:
            run.failed = True
            run.outcome = f"stopped by Slack ({error.response.get('error')}); rerun to continue from page {run.pages + 1}"
            logger.warning("listen backfill of %s stopped: %s", channel, error.response.get("error"))
            return run

    def _store(self, channel: str, messages: list[Any], run: ChannelRun, *, with_threads: bool) -> bool:
        for message in messages:
            if not isinstance(message, Mapping):
                continue
            outcome = self._hear(channel, message)
            if outcome is Outcome.NOT_LINKED:
                return False
            run.read += 1
            run.stored += outcome in (Outcome.STORED, Outcome.EDITED)
            if self.progress is not None:
                self.progress.advance(1)
            has_thread = message.get("reply_count") and message.get("thread_ts") == message.get("ts")
            if with_threads and has_thread and not self._thread(channel, str(message["ts"]), run):
                return False
        return True

    def _thread(self, channel: str, parent_ts: str, run: ChannelRun) -> bool:
        cursor: str | None = None
        while True:
            self.pacing.wait("conversations.replies")
            page = self.client.conversations_replies(channel=channel, ts=parent_ts, limit=PAGE_LIMIT,
                                                     cursor=cursor or None)  # fmt: skip
            replies = [
                m for m in page.get("messages") or [] if isinstance(m, Mapping) and m.get("ts") != parent_ts
            ]
            if not self._store(channel, replies, run, with_threads=False):
                return False
            cursor = _next_cursor(page)
            if not cursor:
                return True

    def _hear(self, channel: str, message: Mapping[str, Any]) -> Outcome:
        try:
            heard = from_message(message, channel_id=channel)
        except Garbled as garbled:
            logger.warning("listen backfill skipped a message in %s: %s", channel, garbled)
            return Outcome.SKIPPED
        if heard is None:
            return Outcome.SKIPPED
        return self.listener.hear(heard, teams=self.teams)

    def _save(self, channel: str, cursor: str | None, oldest: str, state: str) -> None:
        with transaction(self.deps.session_factory) as session:
            store.save_backfill(
                session,
                channel_id=channel,
                cursor=cursor,
                oldest=oldest,
                state=state,
                now=self.deps.clock.now(),
            )


def _next_cursor(page: Any) -> str | None:
    metadata = page.get("response_metadata") or {}
    cursor = metadata.get("next_cursor") if isinstance(metadata, Mapping) else None
    return str(cursor) if cursor and page.get("has_more", True) else None


def run_backfill(deps: Deps, *, days: int, channel_id: str | None, out: TextIO) -> int:
    """The command: 0 when every channel's history was read (or already was), else 1."""
    settings = deps.settings
    if settings.slack_bot_token is None:
        print("listen backfill needs SLACK_BOT_TOKEN (it reads conversations.history)", file=out)
        return 2
    from bot.slack_client import make_web_client

    pacing = SlackPacing(settings.pacing)
    client = make_web_client(
        token=settings.slack_bot_token.get_secret_value(), api_url=settings.slack_api_url,
        rate_limit_retries=5, pacing=pacing, metrics=deps.metrics,
    )  # fmt: skip
    with track("listen backfill", unit="messages") as progress:
        run = backfill(deps, client, days=days, channel_id=channel_id, pacing=pacing, progress=progress)
    print(run.render(), file=out)
    return 0 if run.ok else 1
