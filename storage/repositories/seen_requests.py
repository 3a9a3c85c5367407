"""Signed Slack requests already acted on: the first sighting claims one, a replay finds it.

The claim is one INSERT … ON CONFLICT DO NOTHING RETURNING on the request's fingerprint, so
two replicas receiving the same bytes at once cannot both act. RETURNING tells what happened:
the rowcount of this INSERT is -1 ("unknown") on PostgreSQL under SQLAlchemy 2.1 and psycopg 3.
Expired rows go as new ones come.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from storage.models import SeenSlackRequest
from storage.repositories.bulk import insert_ignoring_duplicates


def first_sighting(
    session: Session, *, fingerprint: str, kind: str, actor: str, now: datetime, expires_at: datetime
) -> bool:
    """True when this request was not seen before (and is now recorded); False for a replay."""
    session.execute(delete(SeenSlackRequest).where(SeenSlackRequest.expires_at < now))
    statement = (
        insert_ignoring_duplicates(session, SeenSlackRequest.__table__, ["fingerprint"])  # type: ignore[arg-type]
        .values(fingerprint=fingerprint, kind=kind, actor_slack_id=actor, seen_at=now, expires_at=expires_at)
        .returning(SeenSlackRequest.fingerprint)  # a row back only when it was inserted
    )
    return session.execute(statement).scalar_one_or_none() is not None
