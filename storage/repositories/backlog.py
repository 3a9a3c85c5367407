"""What is still owed, by state: the outreach outbox and the Slack deliveries, for /metrics.

Only the open states are counted (queued, sending, failed): they are what an operator watches
(a backlog growing, a worker stuck, failures waiting for Retry), and both tables have an index
on `state`, so the count reads an index range whose size is the backlog, not the table's
history. Sent and cancelled rows grow with every day and are counted as they happen instead
(bot.metrics).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.enums import DeliveryState, OutboxState
from storage.models import OutboxMessage, SlackDelivery

OPEN_OUTBOX_STATES = (OutboxState.QUEUED.value, OutboxState.SENDING.value, OutboxState.FAILED.value)
OPEN_DELIVERY_STATES = (DeliveryState.QUEUED.value, DeliveryState.SENDING.value, DeliveryState.FAILED.value)


def open_outbox_by_state(session: Session) -> dict[str, int]:
    """Outreach messages in each open state (every open state present, 0 when none)."""
    rows = session.execute(
        select(OutboxMessage.state, func.count())
        .where(OutboxMessage.state.in_(OPEN_OUTBOX_STATES))
        .group_by(OutboxMessage.state)
    ).all()
    counts = dict.fromkeys(OPEN_OUTBOX_STATES, 0)
    counts.update({str(state): int(count) for state, count in rows})
    return counts


def open_deliveries_by_state(session: Session) -> dict[tuple[str, str], int]:
    """Slack deliveries in each open state, by (state, kind); a state with none has no key."""
    rows = session.execute(
        select(SlackDelivery.state, SlackDelivery.kind, func.count())
        .where(SlackDelivery.state.in_(OPEN_DELIVERY_STATES))
        .group_by(SlackDelivery.state, SlackDelivery.kind)
    ).all()
    return {(str(state), str(kind)): int(count) for state, kind, count in rows}
