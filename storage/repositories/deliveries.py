"""Slack deliveries: every message Tandem owes someone, owed once, claimed before it is posted.

The state machine (storage.enums.DeliveryState):
    queued --claim--> sending --mark_sent--> sent
                         |--retry_later--> queued (a later attempt)  --...--> failed (ops told)
    sending with a stale claim (a crash mid-post) --claim--> sending, `maybe_posted_since` set
Every transition is a guarded UPDATE: two workers, two replicas or two clicks move a row once,
and only the claimant (its token) may settle what it claimed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, String, Table, and_, bindparam, case, func, literal, or_, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from storage.enums import CardDelivery, CardState, DeliveryKind, DeliveryState
from storage.models import EscalationCard, SlackDelivery
from storage.repositories.bulk import insert_ignoring_duplicates, insert_many

DELIVERIES = cast(Table, SlackDelivery.__table__)
ERROR_KEPT = 2000  # characters of an error message kept on the row


def card_key(card_id: int) -> str:
    return f"card:{card_id}"


def owe(session: Session, *, rows: Sequence[dict[str, Any]], now: datetime) -> None:
    """Owe these messages; a key already owed is skipped (a rerun owes nothing twice). Each row:
    key, kind, recipient, text, blocks (and card_id for a card)."""
    full = [
        {
            "state": DeliveryState.QUEUED.value,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "card_id": None,
            "blocks": None,
        }
        | dict(row)
        for row in rows
    ]
    insert_many(session, DELIVERIES, ("key",), full)


def owe_pending_cards(session: Session, *, now: datetime, card_id: int | None = None) -> int:
    """Owe a post for every pending DM card that is not in Slack yet (or just this one): one
    INSERT ... SELECT, so cards made by any path (the cycle, /flag, an opened digest card, a
    released breaker hold) are delivered by the same mechanism. Returns how many were owed now."""
    c = EscalationCard
    query = select(
        literal("card:") + sql_cast(c.id, String),
        literal(DeliveryKind.CARD.value),
        c.recipient_slack_id,
        c.id,
        literal(""),
        literal(DeliveryState.QUEUED.value),
        literal(0),
        literal(now, type_=SlackDelivery.next_attempt_at.type),
        literal(now, type_=SlackDelivery.created_at.type),
    ).where(
        c.state == CardState.PENDING.value,
        c.message_ts.is_(None),
        c.delivery == CardDelivery.DM.value,
    )
    if card_id is not None:
        query = query.where(c.id == card_id)
    columns = [
        "key",
        "kind",
        "recipient",
        "card_id",
        "text",
        "state",
        "attempts",
        "next_attempt_at",
        "created_at",
    ]
    statement = insert_ignoring_duplicates(session, DELIVERIES, ("key",)).from_select(columns, query)
    return max(0, session.execute(statement).rowcount)  # type: ignore[attr-defined]


def due_ids(
    session: Session,
    *,
    now: datetime,
    stale_before: datetime,
    kinds: Sequence[DeliveryKind] | None = None,
    card_id: int | None = None,
    key: str | None = None,
    limit: int = 1000,
) -> list[int]:
    """Rows an attempt may claim now: queued and due, or sending under a claim gone stale."""
    rows = due(
        session, now=now, stale_before=stale_before, kinds=kinds, card_id=card_id, key=key, limit=limit
    )
    return [delivery_id for delivery_id, _ in rows]


def due(
    session: Session,
    *,
    now: datetime,
    stale_before: datetime,
    kinds: Sequence[DeliveryKind] | None = None,
    card_id: int | None = None,
    key: str | None = None,
    after_id: int = 0,
    limit: int | None = 1000,
) -> list[tuple[int, str]]:
    """(id, recipient) of the rows an attempt may claim now, from `after_id` on, in id order."""
    d = SlackDelivery
    query = select(d.id, d.recipient).where(_claimable(now, stale_before), d.id > after_id)
    if kinds is not None:
        query = query.where(d.kind.in_([kind.value for kind in kinds]))
    if card_id is not None:
        query = query.where(d.card_id == card_id)
    if key is not None:
        query = query.where(d.key == key)
    query = query.order_by(d.id)
    if limit is not None:
        query = query.limit(limit)
    return [(delivery_id, recipient) for delivery_id, recipient in session.execute(query)]


def _claimable(now: datetime, stale_before: datetime) -> ColumnElement[bool]:
    """Queued and due, or sending under a claim gone stale (its worker died or hung)."""
    d = SlackDelivery
    return or_(
        and_(d.state == DeliveryState.QUEUED.value, d.next_attempt_at <= now),
        and_(d.state == DeliveryState.SENDING.value, d.claimed_at < stale_before),
    )


def claim_many(
    session: Session, *, delivery_ids: Sequence[int], token: str, now: datetime, stale_before: datetime
) -> list[Claimed]:
    """Take these rows for one attempt each in one guarded UPDATE, under one token; the rows
    not ours to take (sent, cancelled, not due, another worker's fresh claim) are left out.
    Taking over a stale claim marks the row as possibly posted since that claim."""
    if not delivery_ids:
        return []
    d = SlackDelivery
    stale = d.state == DeliveryState.SENDING.value  # the WHERE lets a sending row in only when stale
    # SET sees the row as it was: a stale claim's time is when it may have been posted
    maybe_since = case((stale, func.coalesce(d.maybe_posted_since, d.claimed_at)), else_=d.maybe_posted_since)
    session.execute(
        update(d)
        .where(d.id.in_(delivery_ids), _claimable(now, stale_before))
        .values(
            state=DeliveryState.SENDING.value,
            claim=token,
            claimed_at=now,
            attempts=d.attempts + 1,
            maybe_posted_since=maybe_since,
        )
        .execution_options(synchronize_session=False)
    )
    rows = session.scalars(
        select(d)
        .where(d.id.in_(delivery_ids), d.claim == token)
        .order_by(d.id)
        .execution_options(populate_existing=True)
    )
    return [Claimed(row, token, row.maybe_posted_since) for row in rows]


@dataclass(frozen=True)
class Claimed:
    """A row this worker now holds, as it was when claimed."""

    delivery: SlackDelivery
    token: str
    maybe_posted_since: datetime | None  # look in Slack's history from here before posting again


def mark_sent(
    session: Session, *, delivery_id: int, token: str, channel_id: str, message_ts: str, now: datetime
) -> bool:
    """Settle a claimed row as posted; False when the claim is no longer ours."""
    d = SlackDelivery
    result = session.execute(
        update(d)
        .where(d.id == delivery_id, d.claim == token, d.state == DeliveryState.SENDING.value)
        .values(
            state=DeliveryState.SENT.value,
            sent_at=now,
            channel_id=channel_id,
            message_ts=message_ts,
            last_error=None,
            maybe_posted_since=None,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def mark_sent_many(
    session: Session, *, token: str, posted: Sequence[tuple[int, str, str]], now: datetime
) -> set[int]:
    """`mark_sent` for a batch claimed with one token, as one executemany: (id, channel, ts)
    each; the ids settled (a claim no longer ours is left alone, as there)."""
    if not posted:
        return set()
    table = cast(Table, SlackDelivery.__table__)
    statement = (
        update(table)
        .where(
            table.c.id == bindparam("row_id"),
            table.c.claim == token,
            table.c.state == DeliveryState.SENDING.value,
        )
        .values(
            state=DeliveryState.SENT.value,
            sent_at=now,
            channel_id=bindparam("posted_channel"),
            message_ts=bindparam("posted_ts"),
            last_error=None,
            maybe_posted_since=None,
        )
    )
    session.connection().execute(
        statement,
        [{"row_id": row_id, "posted_channel": channel, "posted_ts": ts} for row_id, channel, ts in posted],
    )
    ids = [row_id for row_id, _, _ in posted]
    settled: set[int] = set()
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        settled.update(
            session.scalars(
                select(SlackDelivery.id).where(
                    SlackDelivery.id.in_(chunk),
                    SlackDelivery.claim == token,
                    SlackDelivery.state == DeliveryState.SENT.value,
                )
            )
        )
    return settled


def retry_later(
    session: Session,
    *,
    delivery_id: int,
    token: str,
    error: str,
    at: datetime,
    give_up: bool,
    maybe_posted_since: datetime | None = None,
) -> bool:
    """A failed attempt: back in the queue for `at`, or `failed` for good after the last one.
    `maybe_posted_since` is set when the attempt may have reached Slack (a timeout, a dropped
    connection): the next attempt then looks in the history before posting again."""
    d = SlackDelivery
    values: dict[str, Any] = {
        "state": (DeliveryState.FAILED if give_up else DeliveryState.QUEUED).value,
        "last_error": error[:ERROR_KEPT],
        "next_attempt_at": at,
        "claim": None,
    }
    if maybe_posted_since is not None:
        values["maybe_posted_since"] = func.coalesce(d.maybe_posted_since, maybe_posted_since)
    result = session.execute(
        update(d)
        .where(d.id == delivery_id, d.claim == token, d.state == DeliveryState.SENDING.value)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def cancel(session: Session, *, delivery_id: int, token: str, reason: str) -> None:
    """No longer owed (a card decided or superseded before it reached Slack)."""
    d = SlackDelivery
    session.execute(
        update(d)
        .where(d.id == delivery_id, d.claim == token)
        .values(state=DeliveryState.CANCELLED.value, last_error=reason, claim=None)
        .execution_options(synchronize_session=False)
    )


def failed_not_told(session: Session, *, limit: int = 100) -> list[SlackDelivery]:
    """Deliveries that failed for good and ops has not been told about yet."""
    d = SlackDelivery
    return list(
        session.scalars(
            select(d)
            .where(d.state == DeliveryState.FAILED.value, d.ops_told_at.is_(None))
            .order_by(d.id)
            .limit(limit)
        )
    )


def mark_told(session: Session, *, delivery_id: int, now: datetime) -> bool:
    """Ops is being told this delivery failed: True for the one caller that gets to tell them."""
    result = session.execute(
        update(SlackDelivery)
        .where(SlackDelivery.id == delivery_id, SlackDelivery.ops_told_at.is_(None))
        .values(ops_told_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def failed(session: Session, *, limit: int = 20) -> list[SlackDelivery]:
    """The failed deliveries ops can still retry, newest first (the ops view of App Home)."""
    d = SlackDelivery
    return list(
        session.scalars(
            select(d).where(d.state == DeliveryState.FAILED.value).order_by(d.id.desc()).limit(limit)
        )
    )


def requeue(session: Session, *, delivery_id: int, now: datetime) -> bool:
    """Ops' Retry: a failed delivery gets a fresh round of attempts (guarded: once per click)."""
    d = SlackDelivery
    result = session.execute(
        update(d)
        .where(d.id == delivery_id, d.state == DeliveryState.FAILED.value)
        .values(state=DeliveryState.QUEUED.value, attempts=0, next_attempt_at=now, ops_told_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def get(session: Session, *, delivery_id: int) -> SlackDelivery | None:
    return session.get(SlackDelivery, delivery_id)


def get_many(session: Session, *, delivery_ids: Sequence[int]) -> list[SlackDelivery]:
    """These rows as stored now (fresh even if the session saw them before), in id order."""
    if not delivery_ids:
        return []
    d = SlackDelivery
    query = select(d).where(d.id.in_(delivery_ids)).order_by(d.id).execution_options(populate_existing=True)
    return list(session.scalars(query))


def queued_previews(session: Session, *, kinds: Sequence[DeliveryKind]) -> list[SlackDelivery]:
    """Notices still owed, for a terminal preview to show (nothing is claimed)."""
    d = SlackDelivery
    return list(
        session.scalars(
            select(d)
            .where(d.state == DeliveryState.QUEUED.value, d.kind.in_([kind.value for kind in kinds]))
            .order_by(d.id)
        )
    )


def posted_at(session: Session, *, channel_id: str, message_ts: str) -> SlackDelivery | None:
    """The delivery Tandem recorded as posted at (channel, ts), if any."""
    d = SlackDelivery
    return session.scalar(select(d).where(d.channel_id == channel_id, d.message_ts == message_ts).limit(1))


def by_key(session: Session, *, key: str) -> SlackDelivery | None:
    return session.scalar(select(SlackDelivery).where(SlackDelivery.key == key))


def sent_with_prefix(session: Session, *, kind: DeliveryKind, prefix: str) -> list[SlackDelivery]:
    """Posted messages of `kind` whose key starts with `prefix` (every copy of one message)."""
    d = SlackDelivery
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return list(
        session.scalars(
            select(d)
            .where(
                d.kind == kind.value,
                d.key.like(f"{escaped}%", escape="\\"),
                d.state == DeliveryState.SENT.value,
            )
            .order_by(d.id)
        )
    )


def sent_for_account(session: Session, *, kind: DeliveryKind, account_id: str) -> list[SlackDelivery]:
    """Posted messages of `kind` about the account's cards (e.g. every hand-off packet), oldest first."""
    d, c = SlackDelivery, EscalationCard
    return list(
        session.scalars(
            select(d)
            .join(c, c.id == d.card_id)
            .where(d.kind == kind.value, d.state == DeliveryState.SENT.value, c.account_id == account_id)
            .order_by(d.id)
        )
    )
