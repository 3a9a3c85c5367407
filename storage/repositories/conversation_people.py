"""Members seen in Slack Connect channels, classified once by their team (customer, internal,
bot) and cached, so a channel's members are looked up in Slack (users.info) only when new or
stale."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from storage.models import ConversationPerson
from storage.repositories.bulk import CHUNK, insert_ignoring_duplicates

PEOPLE = cast(Table, ConversationPerson.__table__)


@dataclass(frozen=True)
class Person:
    user_id: str
    team_id: str | None
    email: str | None
    kind: str  # storage.enums.AuthorKind


def known(session: Session, *, user_ids: Collection[str], fresh_since: datetime) -> dict[str, Person]:
    """The people among `user_ids` looked up since `fresh_since`."""
    found: dict[str, Person] = {}
    ids = sorted(user_ids)
    for start in range(0, len(ids), CHUNK):
        rows = session.scalars(
            select(ConversationPerson)
            .where(ConversationPerson.user_id.in_(ids[start : start + CHUNK]))
            .where(ConversationPerson.updated_at >= fresh_since)
        )
        for row in rows:
            found[row.user_id] = Person(row.user_id, row.team_id, row.email, row.kind)
    return found


def kind_of(session: Session, *, user_id: str) -> str | None:
    """A member's kind as last classified (None: never seen)."""
    return session.scalar(select(ConversationPerson.kind).where(ConversationPerson.user_id == user_id))


def save(session: Session, *, people: Sequence[Person], now: datetime) -> None:
    """Insert or refresh these people (a member's team or email may change); two channels
    joined at once that share a member both write it without a duplicate-key error."""
    if not people:
        return
    rows = [
        {"user_id": p.user_id, "team_id": p.team_id, "email": p.email, "kind": p.kind, "updated_at": now}
        for p in people
    ]
    session.connection().execute(insert_ignoring_duplicates(session, PEOPLE, ("user_id",)), rows)
    for person in people:
        session.execute(
            update(ConversationPerson)
            .where(ConversationPerson.user_id == person.user_id)
            .values(team_id=person.team_id, email=person.email, kind=person.kind, updated_at=now)
        )
