"""Engagement events Tandem writes itself (imports write the rest)."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from scoring.types import EngagementKind
from storage.models import EngagementEvent
from storage.repositories.bulk import insert_many

EVENTS = cast(Table, EngagementEvent.__table__)


def record_outreach_sent(session: Session, *, account_id: str, at: datetime) -> None:
    """An email Tandem sent, so the reply rate counts it (keyed like an imported row)."""
    row = {"account_id": account_id, "at": at, "kind": EngagementKind.OUTREACH_SENT.value, "value": None}
    insert_many(session, EVENTS, ("account_id", "at", "kind"), [row])
