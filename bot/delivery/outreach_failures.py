"""Customer messages that failed for good: ops is told once, the CSM's digest lists them, and
either may click Retry. A failed email never disappears in silence."""

from __future__ import annotations

import logging

from bot.blocks.outreach_failure import OutreachFailureView, build_outreach_failure_notice
from bot.delivery.notices import deliver_notices, owe_notice
from bot.deps import Deps
from storage.db import transaction
from storage.enums import DeliveryKind
from storage.models import Account, OutboxMessage
from storage.repositories import outbox, users

logger = logging.getLogger(__name__)


def failure_view(message: OutboxMessage, account: Account | None) -> OutreachFailureView:
    return OutreachFailureView(
        outbox_id=message.id,
        account_name=account.name if account else message.account_id,
        recipient=message.recipient,
        subject=message.subject or "(no subject)",
        attempts=message.attempts,
        last_error=message.last_error or "unknown error",
        owner_slack_id=account.owner_slack_id if account else "",
    )


def tell_ops_of_failed_outreach(deps: Deps) -> int:
    """Owe every ops user a notice about each message that failed since they were last told."""
    now = deps.clock.now()
    with deps.session_factory() as session:  # the usual answer, without a write lock
        if not outbox.failed_not_told(session, limit=1):
            return 0
    told = 0
    with transaction(deps.session_factory) as session:
        ops = users.ops_recipients(session)
        for message in outbox.failed_not_told(session):
            if not outbox.mark_told(session, message_id=message.id, now=now):
                continue  # another worker is telling ops
            logger.error(
                "outbox message %s to %s failed for good: %s",
                message.id,
                message.recipient,
                message.last_error,
            )
            if not ops:
                continue
            text, blocks = build_outreach_failure_notice(
                failure_view(message, session.get(Account, message.account_id))
            )
            owe_notice(
                session,
                key=f"outreach-failed:{message.id}:{now.isoformat()}",
                kind=DeliveryKind.DELIVERY_FAILED,
                recipients=ops,
                text=text,
                blocks=blocks,
                now=now,
            )
            told += 1
    if told:
        deliver_notices(deps)
    return told


def retry_failed_outreach(deps: Deps, *, outbox_id: int, actor: str) -> str:
    """Retry (from the ops notice or the CSM's digest): a fresh round of attempts. What to tell the clicker."""
    with transaction(deps.session_factory) as session:
        message = session.get(OutboxMessage, outbox_id)
        account = session.get(Account, message.account_id) if message else None
        if message is None or account is None:
            return "That message no longer exists."
        if not users.may_act_on(session, account=account, actor=actor):
            return (
                "Only the account's CSM, their manager, or ops can retry this message. Nothing was changed."
            )
        if not outbox.requeue(session, message_id=outbox_id, now=deps.clock.now()):
            return f"Nothing to retry: that message is {message.state}."
    return f"Queued again: Tandem will try to send it to {account.name} within a minute."
