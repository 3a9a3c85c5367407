"""Tell ops about messages Tandem could not deliver, so a failure never stays silent.

Each delivery that ran out of attempts becomes one notice to every ops user (admins when
there is no ops user), once; App Home's ops view lists the failures with a Retry button. A
failed notice *about* a failure is only logged and listed, never announced again (no loop).
"""

from __future__ import annotations

import logging

from bot.blocks.delivery_failure import FailureView, build_failure_notice
from bot.deps import Deps
from storage.db import transaction
from storage.enums import DeliveryKind
from storage.models import SlackDelivery
from storage.repositories import deliveries, users

logger = logging.getLogger(__name__)


def tell_ops_of_failures(deps: Deps) -> int:
    """Owe ops a notice for each delivery that failed for good since last told; returns how many."""
    now = deps.clock.now()
    with deps.session_factory() as session:  # the usual answer, read without taking a write lock
        if not deliveries.failed_not_told(session, limit=1):
            return 0
    with transaction(deps.session_factory) as session:
        ops = users.ops_recipients(session)
        owed = 0
        for row in deliveries.failed_not_told(session):
            if not deliveries.mark_told(session, delivery_id=row.id, now=now):
                continue  # another worker is telling ops about this one
            if row.kind == DeliveryKind.DELIVERY_FAILED.value or not ops:
                logger.error(
                    "delivery %s (%s to %s) failed for good; see App Home", row.id, row.key, row.recipient
                )
                continue
            text, blocks = build_failure_notice(failure_view(row))
            # Keyed by when ops was told: a delivery retried by ops and failing again is news again.
            told = f"failed:{row.id}:{now.isoformat()}"
            deliveries.owe(
                session,
                rows=[{"key": f"{told}:{who}", "kind": DeliveryKind.DELIVERY_FAILED.value,
                       "recipient": who, "text": text, "blocks": blocks} for who in ops],
                now=now,
            )  # fmt: skip
            owed += 1
    return owed


def failure_view(row: SlackDelivery) -> FailureView:
    return FailureView(
        row.id,
        row.kind,
        row.recipient,
        row.attempts,
        row.last_error or "unknown error",
        row.created_at,
        row.text,
    )


def retry_failed(deps: Deps, *, delivery_id: int, actor: str) -> str:
    """Ops' Retry: a fresh round of attempts for a failed delivery. Returns what to tell the clicker."""
    with transaction(deps.session_factory) as session:
        if not users.is_ops_or_admin(session, slack_id=actor):
            return "Only ops or an admin can retry a delivery. Nothing was changed."
        if not deliveries.requeue(session, delivery_id=delivery_id, now=deps.clock.now()):
            row = deliveries.get(session, delivery_id=delivery_id)
            if row is None:
                return "That delivery no longer exists."
            return f"Nothing to retry: that message is {row.state}."
    return "Queued again: Tandem will try to deliver it within a minute."
