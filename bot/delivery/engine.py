"""The delivery engine: claim an owed Slack message, post it once, settle it.

One attempt at one row:
1. claim it in its own committed transaction (a guarded update: of two workers, replicas or
   clicks, one wins; the others post nothing);
2. if an earlier attempt may have posted it (a stale claim after a crash, a timeout), look for
   it in the channel's history (or, for a reply, in its thread: Slack's channel history has
   no replies) by the row id in the message's metadata, and adopt what is found instead of
   posting again;
3. otherwise post it, tagged with the row id (or, for a file, upload it: a file cannot carry
   the tag, so a file that may have been uploaded before a crash is uploaded again; a chart
   twice in a thread is a nuisance, a chart missing would be a loss);
4. settle: sent (and whatever follows, e.g. the card records its message), or back in the
   queue with a growing delay, or `failed` after the last attempt (ops is told).
What a row carries (a card rendered from its current state, a stored notice) and what follows
its post are the `Renderer`'s business, so every kind goes through the same steps.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.posting import FileUpload, MessageTag, PostedMessage
from storage.db import transaction
from storage.enums import DeliveryKind
from storage.models import SlackDelivery
from storage.repositories import deliveries

logger = logging.getLogger(__name__)
TAG_EVENT_TYPE = "tandem_delivery"
PARALLEL_POSTS = 4  # posts in flight at once on PostgreSQL


@dataclass(frozen=True)
class Rendered:
    text: str
    blocks: list[dict[str, Any]]
    file: FileUpload | None = None  # set: upload this file (its id is recorded as the row's ts)
    thread_ts: str | None = None  # set: post in the thread of this message (in the row's channel)
    # set: replace the message at (row.recipient, update_ts) instead of posting (chat.update is
    # idempotent, so an update that may have gone through is simply made again)
    update_ts: str | None = None


class Renderer(Protocol):
    def render(self, session: Session, row: SlackDelivery) -> Rendered | str:
        """The message to post, or why it is no longer owed (the row is then cancelled)."""
        ...

    def after_sent(self, session: Session, row: SlackDelivery, posted: PostedMessage, now: datetime) -> None:
        """What follows a post, in the transaction that records it (e.g. the card's message ts)."""
        ...


@dataclass
class DeliveryRun:
    sent: list[int] = field(default_factory=list)
    adopted: list[int] = field(default_factory=list)  # found already in Slack after a crash
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)  # out of attempts
    cancelled: list[int] = field(default_factory=list)
    previewed: int = 0  # rendered to the terminal, recorded nowhere

    def merge(self, other: DeliveryRun) -> None:
        for name in ("sent", "adopted", "retrying", "failed", "cancelled"):
            getattr(self, name).extend(getattr(other, name))
        self.previewed += other.previewed

    @property
    def delivered(self) -> int:
        return len(self.sent) + len(self.adopted)

    def render(self) -> str:
        return (
            f"slack deliveries: {len(self.sent)} posted, {len(self.adopted)} found already posted, "
            f"{len(self.retrying)} to retry, {len(self.failed)} failed, {len(self.cancelled)} no longer owed"
        )


def tag_for(row: SlackDelivery) -> MessageTag:
    return MessageTag(TAG_EVENT_TYPE, row.id)


def retry_delay(attempts: int, *, base_seconds: float, max_seconds: float) -> timedelta:
    """Exponential backoff: base, 2×base, 4×base, … capped (attempts counts the failed one)."""
    return timedelta(seconds=min(max_seconds, base_seconds * 2 ** max(0, attempts - 1)))


def deliver_due(
    deps: Deps,
    renderers: Mapping[DeliveryKind, Renderer],
    *,
    card_id: int | None = None,
    key: str | None = None,
    limit: int = 1000,
) -> DeliveryRun:
    """Attempt every due row of the given kinds (or of one card, or the one with this key)."""
    settings = deps.settings.delivery
    now = deps.clock.now()
    stale_before = now - timedelta(seconds=settings.stale_claim_seconds)
    with deps.session_factory() as session:
        ids = deliveries.due_ids(
            session,
            now=now,
            stale_before=stale_before,
            kinds=list(renderers),
            card_id=card_id,
            key=key,
            limit=limit,
        )
    run = DeliveryRun()
    workers = (
        PARALLEL_POSTS if len(ids) > 1 and deps.session_factory.kw["bind"].dialect.name == "postgresql" else 1
    )
    if workers == 1:
        for delivery_id in ids:
            attempt_one(deps, renderers, delivery_id=delivery_id, run=run)
        return run
    # PostgreSQL takes concurrent writers: a few posts at once overlap the waits on Slack and on
    # each commit (SQLite has one writer, so there they go one at a time). Claims keep each once.
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(
            pool.map(lambda delivery_id: attempt_one(deps, renderers, delivery_id=delivery_id, run=run), ids)
        )
    return run


def attempt_one(
    deps: Deps, renderers: Mapping[DeliveryKind, Renderer], *, delivery_id: int, run: DeliveryRun
) -> None:
    settings = deps.settings.delivery
    now = deps.clock.now()
    token = uuid.uuid4().hex
    with transaction(deps.session_factory) as session:
        claimed = deliveries.claim(
            session,
            delivery_id=delivery_id,
            token=token,
            now=now,
            stale_before=now - timedelta(seconds=settings.stale_claim_seconds),
        )
        if claimed is None:
            return  # another worker has it, or it is no longer due
        row = claimed.delivery
        renderer = renderers[DeliveryKind(row.kind)]
        rendered = renderer.render(session, row)
    if isinstance(rendered, str):
        with transaction(deps.session_factory) as session:
            deliveries.cancel(session, delivery_id=delivery_id, token=token, reason=rendered)
        run.cancelled.append(delivery_id)
        return

    def settle(posted: PostedMessage) -> None:
        with transaction(deps.session_factory) as session:
            if deliveries.mark_sent(
                session,
                delivery_id=delivery_id,
                token=token,
                channel_id=posted.channel_id,
                message_ts=posted.ts,
                now=deps.clock.now(),
            ):
                settled = deliveries.get(session, delivery_id=delivery_id)
                assert settled is not None
                renderer.after_sent(session, settled, posted, deps.clock.now())
                deps.metrics.message_delivered(row.kind)  # (a failed commit is retried, and counted again)

    try:
        if rendered.update_ts is not None:
            deps.poster.update(
                channel=row.recipient, ts=rendered.update_ts, text=rendered.text, blocks=rendered.blocks
            )
            settle(PostedMessage(row.recipient, rendered.update_ts))
            run.sent.append(delivery_id)
            return
        if claimed.maybe_posted_since is not None:
            found = deps.poster.find_posted(
                channel=row.recipient,
                tag=tag_for(row),
                since=claimed.maybe_posted_since,
                thread_ts=rendered.thread_ts,  # rendered above: a reply is looked for in its thread
            )
            if found is not None:
                logger.info("delivery %s (%s) was already in Slack: adopted %s", row.id, row.key, found.ts)
                settle(found)
                run.adopted.append(delivery_id)
                return
        if rendered.file is not None:
            posted = deps.poster.upload(channel=row.recipient, file=rendered.file)
        else:
            posted = deps.poster.post(
                channel=row.recipient,
                text=rendered.text,
                blocks=rendered.blocks,
                tag=tag_for(row),
                thread_ts=rendered.thread_ts,
            )
    except SlackApiError as error:  # Slack answered: the message was not posted
        _failed_attempt(deps, row, token, _slack_error(error), run, maybe_posted=False)
        return
    except Exception as error:  # a timeout or a dropped connection: it may have been posted
        _failed_attempt(deps, row, token, f"{type(error).__name__}: {error}", run, maybe_posted=True)
        return
    settle(posted)
    run.sent.append(delivery_id)


def _failed_attempt(
    deps: Deps, row: SlackDelivery, token: str, error: str, run: DeliveryRun, *, maybe_posted: bool
) -> None:
    settings = deps.settings.delivery
    now = deps.clock.now()
    give_up = row.attempts >= settings.max_attempts
    delay = retry_delay(
        row.attempts, base_seconds=settings.retry_base_seconds, max_seconds=settings.retry_max_seconds
    )
    with transaction(deps.session_factory) as session:
        deliveries.retry_later(
            session,
            delivery_id=row.id,
            token=token,
            error=error,
            at=now + delay,
            give_up=give_up,
            maybe_posted_since=row.claimed_at if maybe_posted else None,
        )
    if give_up:
        logger.error("delivery %s (%s to %s) failed for good after %s attempts: %s",
                     row.id, row.key, row.recipient, row.attempts, error)  # fmt: skip
        run.failed.append(row.id)
    else:
        logger.warning(
            "delivery %s (%s) failed, attempt %s; retrying in %s: %s",
            row.id,
            row.key,
            row.attempts,
            delay,
            error,
        )
        run.retrying.append(row.id)


def _slack_error(error: SlackApiError) -> str:
    response = getattr(error, "response", None)
    code = response.get("error") if response is not None else None
    return f"Slack refused it: {code or error}"
