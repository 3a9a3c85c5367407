"""How long message text is kept: the daily purge (texts past `keep_text_until`), `python app.py
listen purge` (the same, now), ops' Purge now for one channel, and the purge an exclusion
brings. Each runs in bounded batches, one short transaction each; only the derived fields
(tone, topics, question, answered, posted_at, author) remain.

What a decision does to stored text: *excluded* — purged at once (Tandem must not keep what
it may not listen to); *unlinked* — kept until its own retention date (the link ended, the
consent for what was already stored did not), and nothing new is stored."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.workflows.refused import Refused
from storage.db import transaction
from storage.repositories import conversation_channels, conversation_retention, users

logger = logging.getLogger(__name__)

BATCH = 1000
NOT_OPS = "Only ops and admins can purge a channel's stored text. Nothing was changed."


def purge_due(deps: Deps, *, batch: int = BATCH) -> int:
    """Empty every text past its retention date; how many."""
    now = deps.clock.now()
    undated_before = now - timedelta(days=deps.settings.conversation_retention_days)
    total = _in_batches(
        deps,
        lambda session: conversation_retention.purge_due_batch(
            session, now=now, undated_before=undated_before, batch=batch
        ),
        batch,
    )
    if total:
        logger.info("conversation retention: purged the text of %s messages", total)
    return total


def purge_channel(deps: Deps, *, channel_id: str, batch: int = BATCH) -> int:
    """Empty every stored text of one channel now; how many."""
    now = deps.clock.now()
    return _in_batches(
        deps,
        lambda session: conversation_retention.purge_channel_batch(
            session, channel_id=channel_id, now=now, batch=batch
        ),
        batch,
    )


def _in_batches(deps: Deps, purge_batch: Callable[[Session], int], batch: int) -> int:
    """Run `purge_batch` in its own short transaction until a batch comes back short; how many in all."""
    total = 0
    while True:
        with transaction(deps.session_factory) as session:
            done = purge_batch(session)
        total += done
        if done < batch:
            return total


@dataclass(frozen=True)
class Purged:
    channel_id: str
    count: int

    @property
    def message(self) -> str:
        if self.count == 0:
            return f"<#{self.channel_id}> holds no message text (already purged). Nothing was changed."
        plural = "s" if self.count != 1 else ""
        return (
            f"Purged the text of {self.count} message{plural} in <#{self.channel_id}>; "
            "only the signals derived from them remain."
        )


def purge_now(deps: Deps, *, channel_id: str, actor: str) -> Purged | Refused:
    """Ops' Purge now: safe twice (the second finds nothing left and says so)."""
    with deps.session_factory() as session:
        if not users.is_ops_or_admin(session, slack_id=actor):
            return Refused(NOT_OPS)
        if conversation_channels.get(session, channel_id=channel_id) is None:
            return Refused("Tandem does not know that channel. Nothing was changed.")
    count = purge_channel(deps, channel_id=channel_id)
    logger.info("ops %s purged the text of %s messages in %s", actor, count, channel_id)
    return Purged(channel_id, count)
