"""Card clicks recorded before their ack (bot.workflows.click_inbox).

`record` is one INSERT … ON CONFLICT DO NOTHING on the click's key: Slack's retry of a click
(the same body) finds the first one. `finish` is the guarded pending -> done update the
decision runs in its own transaction, so a click is decided once however many workers (a
listener, a sweep on another replica) reach it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.models import CardClick
from storage.repositories.bulk import insert_ignoring_duplicates

PENDING = "pending"
DONE = "done"


def record(
    session: Session,
    *,
    click_key: str,
    action: str,
    card_id: int,
    actor: str,
    clicked_channel: str | None,
    clicked_ts: str | None,
    response_url: str | None,
    now: datetime,
) -> tuple[int, bool]:
    """The click's id and whether it is still pending (False: a retry of a click decided already)."""
    statement = insert_ignoring_duplicates(session, CardClick.__table__, ["click_key"]).values(  # type: ignore[arg-type]
        click_key=click_key,
        action=action,
        card_id=card_id,
        actor=actor,
        clicked_channel=clicked_channel,
        clicked_ts=clicked_ts,
        response_url=response_url,
        state=PENDING,
        received_at=now,
    )
    session.execute(statement)
    row = session.execute(select(CardClick.id, CardClick.state).where(CardClick.click_key == click_key)).one()
    return int(row.id), row.state == PENDING


def finish(session: Session, *, click_id: int, outcome: str, now: datetime) -> bool:
    """Mark the click done; False when another worker did (then this one must not decide it)."""
    statement = (
        update(CardClick)
        .where(CardClick.id == click_id, CardClick.state == PENDING)
        .values(state=DONE, decided_at=now, outcome=outcome[:200])
        .returning(CardClick.id)
    )
    return session.execute(statement).scalar_one_or_none() is not None


def get(session: Session, click_id: int) -> CardClick | None:
    return session.get(CardClick, click_id)


def stale(session: Session, *, received_before: datetime, limit: int = 200) -> Sequence[CardClick]:
    """Clicks still pending that a listener should have decided long ago (its replica died)."""
    query = (
        select(CardClick)
        .where(CardClick.state == PENDING, CardClick.received_at < received_before)
        .order_by(CardClick.received_at)
        .limit(limit)
    )
    return session.scalars(query).all()


def note_outcome(session: Session, *, click_id: int, outcome: str) -> None:
    session.execute(update(CardClick).where(CardClick.id == click_id).values(outcome=outcome[:200]))


def forget_decided(session: Session, *, received_before: datetime) -> int:
    """Decided clicks received before then: past any retry Slack could still send."""
    statement = (
        delete(CardClick)
        .where(CardClick.state == DONE, CardClick.received_at < received_before)
        .returning(CardClick.id)
    )
    return len(session.execute(statement).all())
