"""Circuit-breaker trips: one row per scoring day and trigger; alerted once, released once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from storage.models import CircuitBreakerTrip
from storage.repositories.bulk import insert_many

TRIPS = cast(Table, CircuitBreakerTrip.__table__)


def record_trips(session: Session, *, rows: Sequence[dict[str, Any]]) -> None:
    """Each row: as_of, trigger, fired, scored, max_share, config_version, tripped_at. A trip
    already recorded for that day and trigger (a rerun) is kept as it was."""
    insert_many(session, TRIPS, ("as_of", "trigger"), rows)


def get_trip(session: Session, *, as_of: date, trigger: str) -> CircuitBreakerTrip | None:
    return session.get(CircuitBreakerTrip, (as_of, trigger))


def trips_on(session: Session, *, as_of: date) -> list[CircuitBreakerTrip]:
    return list(
        session.scalars(
            select(CircuitBreakerTrip)
            .where(CircuitBreakerTrip.as_of == as_of)
            .order_by(CircuitBreakerTrip.trigger)
        )
    )


def claim_alert(session: Session, *, as_of: date, trigger: str, now: datetime) -> bool:
    """True for the one caller that gets to alert ops about this trip."""
    result = session.execute(
        update(CircuitBreakerTrip)
        .where(
            CircuitBreakerTrip.as_of == as_of,
            CircuitBreakerTrip.trigger == trigger,
            CircuitBreakerTrip.alerted_at.is_(None),
        )
        .values(alerted_at=now)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def release(session: Session, *, as_of: date, trigger: str, by: str, now: datetime) -> bool:
    """Guarded: True only for the first release of this trip."""
    result = session.execute(
        update(CircuitBreakerTrip)
        .where(
            CircuitBreakerTrip.as_of == as_of,
            CircuitBreakerTrip.trigger == trigger,
            CircuitBreakerTrip.released_at.is_(None),
        )
        .values(released_by=by, released_at=now)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def unreleased_since(session: Session, *, since: date) -> list[CircuitBreakerTrip]:
    """Trips still holding their signals, from `since` on, oldest first (ops' App Home)."""
    query = select(CircuitBreakerTrip).where(
        CircuitBreakerTrip.released_at.is_(None), CircuitBreakerTrip.as_of >= since
    )
    return list(session.scalars(query.order_by(CircuitBreakerTrip.as_of)))
