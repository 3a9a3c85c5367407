"""Pending actions asked in words (bot.assistant.actions): stored, then consumed once.

Every change of state is a guarded update from `pending`: of two clicks (a double click, a
Slack retry, a colleague's click) only one moves it, and the other finds it decided."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from storage.models import AssistantAction

PENDING, CONFIRMED, CANCELLED, EXPIRED = "pending", "confirmed", "cancelled", "expired"


def create(
    session: Session,
    *,
    requester: str,
    action: str,
    account_id: str | None,
    card_id: int | None,
    args: dict[str, Any],
    summary: str,
    channel: str,
    thread_ts: str | None,
    now: datetime,
    expires_at: datetime,
) -> AssistantAction:
    row = AssistantAction(
        requester=requester, action=action, account_id=account_id, card_id=card_id, args=args,
        summary=summary, channel=channel, thread_ts=thread_ts, state=PENDING, created_at=now,
        expires_at=expires_at,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def get(session: Session, *, action_id: int) -> AssistantAction | None:
    return session.get(AssistantAction, action_id)


def decide(
    session: Session, *, action_id: int, state: str, by: str, now: datetime, message_ts: str | None = None
) -> bool:
    """pending -> `state` (confirmed, cancelled or expired), once: True for the one caller that moved it."""
    values: dict[str, Any] = {"state": state, "decided_by": by, "decided_at": now}
    if message_ts is not None:
        values["message_ts"] = message_ts
    result = session.execute(
        update(AssistantAction)
        .where(AssistantAction.id == action_id, AssistantAction.state == PENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def set_result(session: Session, *, action_id: int, result: str) -> None:
    session.execute(
        update(AssistantAction)
        .where(AssistantAction.id == action_id)
        .values(result=result)
        .execution_options(synchronize_session=False)
    )


def set_message(session: Session, *, action_id: int, message_ts: str) -> None:
    """The Confirm card's ts, once it is posted (so it can be updated in place)."""
    session.execute(
        update(AssistantAction)
        .where(AssistantAction.id == action_id)
        .values(message_ts=message_ts)
        .execution_options(synchronize_session=False)
    )
