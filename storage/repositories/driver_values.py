"""Dates and UTC datetimes for bulk reads, straight from the driver's values.

The bulk readers (an account's facts, for the whole book) fetch millions of dates and
timestamps; SQLAlchemy's per-value result processing (parsing SQLite's text, then
UTCDateTime's time-zone step) costs several microseconds each, more than the fetch itself.
`raw(column)` selects a column as the driver returns it (text on SQLite, date and datetime
objects on PostgreSQL); `as_day` and `as_utc` turn that into what the mapped type gives.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, type_coerce
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.types import NullType


def raw(column: InstrumentedAttribute[Any] | ColumnElement[Any]) -> ColumnElement[Any]:
    """The column as the driver returns it: no result processing (NullType has none)."""
    return type_coerce(column, NullType())


def as_day(value: Any) -> date:
    """A Date column's driver value as a date (SQLite stores 'YYYY-MM-DD')."""
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    if isinstance(value, datetime):  # never for a Date column; a DateTime aggregate on some driver
        return value.date()
    return value


def as_utc(value: Any) -> datetime:
    """A UTCDateTime column's driver value as an aware UTC datetime, as UTCDateTime reads it:
    SQLite stores UTC as naive text, PostgreSQL returns aware datetimes in the session's zone."""
    if isinstance(value, str):
        try:  # naive UTC text, as SQLAlchemy writes it: parsed with its zone (replace() is ~5x slower)
            return datetime.fromisoformat(value + "+00:00")
        except ValueError:  # text that carries its own offset
            value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def as_utc_or_none(value: Any) -> datetime | None:
    return None if value is None else as_utc(value)
