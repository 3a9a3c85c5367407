"""Cancel an automated touch during its hold window (from the digest's Cancel button)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.workflows.refused import Refused
from storage.db import transaction
from storage.enums import OutboxState
from storage.models import Account, OutboxMessage
from storage.repositories import outbox, overrides, users


@dataclass(frozen=True)
class Cancelled:
    account_name: str


ALREADY_CANCELLED = Refused("Already cancelled. Nothing was changed.")
NOT_YOURS = Refused(
    "Only the account's CSM, their manager, or ops can cancel this message. Nothing was changed."
)
GONE = Refused("This message no longer exists.")

CancelOutcome = Cancelled | Refused


def cancel_automated_touch(
    deps: Deps, *, outbox_id: int, actor: str, reason: str | None = None
) -> CancelOutcome:
    now = deps.clock.now()
    with transaction(deps.session_factory) as session:
        message = session.get(OutboxMessage, outbox_id)
        account = session.get(Account, message.account_id) if message else None
        if message is None or account is None or message.card_id is not None:
            return GONE
        if not users.may_act_on(session, account=account, actor=actor):
            return NOT_YOURS
        if not outbox.cancel(session, message_id=outbox_id):
            session.refresh(message)
            if message.state == OutboxState.CANCELLED:
                return ALREADY_CANCELLED
            return Refused(f"Too late to cancel: the message is already {message.state}.")
        overrides.record_automated(
            session, message=message, action="cancelled", actor=actor, now=now, reason=reason
        )
        return Cancelled(account.name)


def describe(outcome: CancelOutcome) -> str:
    """What the clicker is told, privately."""
    if isinstance(outcome, Cancelled):
        return f"Cancelled: the automated message to {outcome.account_name} will not be sent."
    return outcome.message


def cancel_queued_touches(
    session: Session, *, account_id: str, actor: str, now: datetime, reason: str
) -> int:
    """Stop every automated touch still queued on the account (a veto, a pause), each logged."""
    cancelled = 0
    for message in outbox.queued_automated(session, account_id=account_id):
        if outbox.cancel(session, message_id=message.id):
            overrides.record_automated(session, message=message, action="cancelled", actor=actor, now=now,
                                       reason=reason)  # fmt: skip
            cancelled += 1
    return cancelled
