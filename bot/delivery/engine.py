"""The delivery engine: claim owed Slack messages, post each once, settle them.

One attempt at a batch of rows:
1. claim them in one short committed transaction (a guarded update: of two workers, replicas
   or clicks, one wins each row; the others post nothing);
2. render each in a read session (what a renderer changes, e.g. a packet keeping its blocks,
   is written in a short transaction after, with the rows no longer owed, which are cancelled);
3. post them through a bounded pool of threads that only talk to Slack, paced per channel and
   per method (bot.delivery.pacing), channels interleaved so no thread waits on one busy DM:
   - if an earlier attempt may have posted a row (a stale claim after a crash, a timeout, a
     5xx), look for it in the channel's history (or, for a reply, in its thread: Slack's
     channel history has no replies) by the row id in the message's metadata, and adopt what
     is found instead of posting again;
   - otherwise post it, tagged with the row id (or, for a file, upload it: a file cannot carry
     the tag, so a file that may have been uploaded before a crash is uploaded again; a chart
     twice in a thread is a nuisance, a chart missing would be a loss);
4. settle the batch in one short transaction: sent (and whatever follows, e.g. the card
   records its message), or back in the queue with a growing delay, or `failed` after the
   last attempt (ops is told).
Only the calling thread touches the database, so SQLite's one writer is never contended by
the pool; a crash between a post and its settle leaves a claim that goes stale and is adopted.
What a row carries (a card rendered from its current state, a stored notice) and what follows
its post are the `Renderer`'s business, so every kind goes through the same steps.
"""

from __future__ import annotations

import logging
import uuid
from collections import deque
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.delivery.batching import interleave, plan_batches
from bot.deps import Deps
from bot.posting import FileUpload, MessagePoster, MessageTag, PostedMessage
from storage.db import transaction
from storage.enums import DeliveryKind
from storage.models import SlackDelivery
from storage.repositories import deliveries

logger = logging.getLogger(__name__)
TAG_EVENT_TYPE = "tandem_delivery"


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
    """May also have `prepare(session, rows)`: called once per batch before its rows are
    rendered, to load what they render from in a few queries; and `after_sent_many(session,
    [(row, posted)], now)`: `after_sent` for a whole batch at once."""

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


def retry_delay(attempts: int, *, base_seconds: float, max_seconds: float) -> timedelta:
    """Exponential backoff: base, 2×base, 4×base, … capped (attempts counts the failed one)."""
    return timedelta(seconds=min(max_seconds, base_seconds * 2 ** max(0, attempts - 1)))


def deliver_due(
    deps: Deps,
    renderers: Mapping[DeliveryKind, Renderer],
    *,
    card_id: int | None = None,
    key: str | None = None,
    limit: int | None = None,
) -> DeliveryRun:
    """Attempt every due row of the given kinds (or of one card, or the one with this key)."""
    settings = deps.settings.delivery
    now = deps.clock.now()
    stale_before = now - timedelta(seconds=settings.stale_claim_seconds)
    with deps.session_factory() as session:
        due = deliveries.due(
            session, now=now, stale_before=stale_before, kinds=list(renderers), card_id=card_id, key=key,
            limit=limit,
        )  # fmt: skip
    run = DeliveryRun()
    if not due:
        return run
    batches = plan_batches(due, size=settings.batch_size, per_channel=settings.batch_per_channel)
    workers = min(settings.post_workers, len(due))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="slack-post") as pool:
        in_flight: deque[list[Future[Outcome]]] = deque()
        for batch in batches:
            jobs = _claim_and_render(deps, renderers, batch, run)
            ordered = interleave(jobs, channel=lambda job: job.recipient)
            in_flight.append([pool.submit(_post, deps.poster, job) for job in ordered])
            if len(in_flight) > 1:  # the next batch posts while this one settles
                _settle(deps, [future.result() for future in in_flight.popleft()], run)
        while in_flight:
            _settle(deps, [future.result() for future in in_flight.popleft()], run)
    return run


@dataclass(frozen=True)
class Job:
    """A claimed row, rendered: what a pool thread posts (it carries no session)."""

    delivery_id: int
    key: str
    recipient: str
    attempts: int
    claimed_at: datetime
    maybe_posted_since: datetime | None
    token: str
    rendered: Rendered
    renderer: Renderer  # what follows the post, when it settles


@dataclass(frozen=True)
class Outcome:
    job: Job
    posted: PostedMessage | None = None
    adopted: bool = False
    error: str | None = None
    maybe_posted: bool = False  # the failed attempt may have reached Slack: look before posting again
    cancelled: str | None = None  # why the row is no longer owed


def _claim_and_render(
    deps: Deps, renderers: Mapping[DeliveryKind, Renderer], batch: Sequence[int], run: DeliveryRun
) -> list[Job]:
    settings = deps.settings.delivery
    now = deps.clock.now()
    token = uuid.uuid4().hex
    with transaction(deps.session_factory) as session:
        claimed = deliveries.claim_many(
            session,
            delivery_ids=batch,
            token=token,
            now=now,
            stale_before=now - timedelta(seconds=settings.stale_claim_seconds),
        )
    if not claimed:
        return []
    jobs: list[Job] = []
    cancelled: list[tuple[int, str]] = []
    with deps.session_factory() as session:  # rendering reads; the rows are ours until settled
        rows = deliveries.get_many(session, delivery_ids=[c.delivery.id for c in claimed])
        for kind, renderer in renderers.items():
            prepare = getattr(renderer, "prepare", None)  # optional: load a batch's data at once
            if prepare is not None:
                prepare(session, [row for row in rows if row.kind == kind.value])
        for row in rows:
            renderer = renderers[DeliveryKind(row.kind)]
            rendered = renderer.render(session, row)
            if isinstance(rendered, str):
                cancelled.append((row.id, rendered))
                continue
            assert row.claimed_at is not None
            jobs.append(
                Job(row.id, row.key, row.recipient, row.attempts, row.claimed_at, row.maybe_posted_since,
                    token, rendered, renderer)
            )  # fmt: skip
        kept = [*session.dirty, *session.new]  # what a renderer keeps (e.g. a packet its blocks)
    if cancelled or kept:
        with transaction(deps.session_factory) as session:  # short: the rendering is done
            for each in kept:
                session.merge(each)
            for delivery_id, reason in cancelled:
                deliveries.cancel(session, delivery_id=delivery_id, token=token, reason=reason)
        run.cancelled.extend(delivery_id for delivery_id, _ in cancelled)
    return jobs


def _post(poster: MessagePoster, job: Job) -> Outcome:
    """One row's trip to Slack, in a pool thread (no database here)."""
    rendered = job.rendered
    in_doubt = False  # an attempt made here may have posted it: a failure must say so
    try:
        if rendered.update_ts is not None:  # chat.update is idempotent: made again if in doubt
            poster.update(
                channel=job.recipient, ts=rendered.update_ts, text=rendered.text, blocks=rendered.blocks
            )
            return Outcome(job, posted=PostedMessage(job.recipient, rendered.update_ts))
        if rendered.file is not None:
            return Outcome(job, posted=poster.upload(channel=job.recipient, file=rendered.file))
        if job.maybe_posted_since is not None:
            found = _look_for(poster, job, since=job.maybe_posted_since)
            if found is not None:
                return Outcome(job, posted=found, adopted=True)
        try:
            return Outcome(job, posted=_post_message(poster, job))
        except SlackApiError as error:
            if not _may_have_posted(error):
                raise
        # Slack failed after perhaps posting (slack-sdk does not retry a post's 5xx, so it is
        # never posted twice blindly): look for it once, post again only if it is not there.
        in_doubt = True
        found = _look_for(poster, job, since=job.claimed_at)
        if found is not None:
            return Outcome(job, posted=found, adopted=True)
        return Outcome(job, posted=_post_message(poster, job))
    except SlackApiError as error:  # Slack answered: not posted, unless a 5xx (or one before it)
        return Outcome(job, error=_describe(error), maybe_posted=in_doubt or _may_have_posted(error))
    except Exception as error:  # a timeout or a dropped connection: it may have been posted
        return Outcome(job, error=_describe(error), maybe_posted=rendered.file is None)


def _post_message(poster: MessagePoster, job: Job) -> PostedMessage:
    rendered = job.rendered
    return poster.post(
        channel=job.recipient,
        text=rendered.text,
        blocks=rendered.blocks,
        tag=MessageTag(TAG_EVENT_TYPE, job.delivery_id),
        thread_ts=rendered.thread_ts,
    )


def _look_for(poster: MessagePoster, job: Job, *, since: datetime) -> PostedMessage | None:
    found = poster.find_posted(
        channel=job.recipient,
        tag=MessageTag(TAG_EVENT_TYPE, job.delivery_id),
        since=since,
        thread_ts=job.rendered.thread_ts,  # a reply is looked for in its thread
    )
    if found is not None:
        logger.info("delivery %s (%s) was already in Slack: adopted %s", job.delivery_id, job.key, found.ts)
    return found


def _may_have_posted(error: SlackApiError) -> bool:
    """A 5xx: Slack may have done the work before failing (a 429 or ok=false: it did not)."""
    status = getattr(getattr(error, "response", None), "status_code", 200)
    return isinstance(status, int) and status >= 500


def _settle(deps: Deps, outcomes: Sequence[Outcome], run: DeliveryRun) -> None:
    """Record a batch's outcomes in one transaction: what was posted (and what follows it), and
    what goes back in the queue."""
    if not outcomes:
        return
    settings = deps.settings.delivery
    now = deps.clock.now()
    failures: list[tuple[Outcome, bool, timedelta]] = []
    with transaction(deps.session_factory) as session:
        posted_now = [outcome for outcome in outcomes if outcome.posted is not None]
        settled: set[int] = set()
        for token in {outcome.job.token for outcome in posted_now}:  # one executemany per claim
            settled |= deliveries.mark_sent_many(
                session,
                token=token,
                posted=[(o.job.delivery_id, o.posted.channel_id, o.posted.ts)  # type: ignore[union-attr]
                        for o in posted_now if o.job.token == token],
                now=now,
            )  # fmt: skip
        recorded: dict[int, Outcome] = {
            o.job.delivery_id: o for o in posted_now if o.job.delivery_id in settled
        }
        for outcome in outcomes:
            job = outcome.job
            if outcome.posted is not None:
                (run.adopted if outcome.adopted else run.sent).append(job.delivery_id)
                continue
            give_up = job.attempts >= settings.max_attempts
            delay = retry_delay(
                job.attempts, base_seconds=settings.retry_base_seconds, max_seconds=settings.retry_max_seconds
            )
            deliveries.retry_later(
                session,
                delivery_id=job.delivery_id,
                token=job.token,
                error=outcome.error or "",
                at=now + delay,
                give_up=give_up,
                maybe_posted_since=job.claimed_at if outcome.maybe_posted else None,
            )
            failures.append((outcome, give_up, delay))
        delivered_kinds: list[str] = []
        by_renderer: dict[int, list[tuple[SlackDelivery, PostedMessage]]] = {}
        renderer_of: dict[int, Renderer] = {}
        for row in deliveries.get_many(session, delivery_ids=list(recorded)):  # as settled
            outcome = recorded[row.id]
            assert outcome.posted is not None
            by_renderer.setdefault(id(outcome.job.renderer), []).append((row, outcome.posted))
            renderer_of[id(outcome.job.renderer)] = outcome.job.renderer
            delivered_kinds.append(row.kind)
        for key, sent in by_renderer.items():
            renderer = renderer_of[key]
            after_many = getattr(renderer, "after_sent_many", None)  # optional: a batch at once
            if after_many is not None:
                after_many(session, sent, now)
            else:
                for row, posted in sent:
                    renderer.after_sent(session, row, posted, now)
    for kind in delivered_kinds:  # counted once the batch's record is committed
        deps.metrics.message_delivered(kind)
    for outcome, give_up, delay in failures:
        job = outcome.job
        if give_up:
            logger.error("delivery %s (%s to %s) failed for good after %s attempts: %s",
                         job.delivery_id, job.key, job.recipient, job.attempts, outcome.error)  # fmt: skip
            run.failed.append(job.delivery_id)
        else:
            logger.warning("delivery %s (%s) failed, attempt %s; retrying in %s: %s",
                           job.delivery_id, job.key, job.attempts, delay, outcome.error)  # fmt: skip
            run.retrying.append(job.delivery_id)


def _describe(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return _slack_error(error)
    return f"{type(error).__name__}: {error}"


def _slack_error(error: SlackApiError) -> str:
    response = getattr(error, "response", None)
    code = response.get("error") if response is not None else None
    return f"Slack refused it: {code or error}"
