"""Rows that are valid but odd: imported as given, and named in the report so someone looks.

- a day of usage, a feature's use, an engagement event or a ticket's opening dated after the
  import (more than a day ahead, so a time zone is not a warning): it cannot have happened yet,
  and a wrong year in an export would otherwise sit unnoticed in every trend;
- more active users than licensed seats on a day of usage: possible (a grace period, seats
  counted differently), but the usage factor reads it as over 100% adoption.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from storage.importer.specs import FileSpec

FUTURE_TOLERANCE_DAYS = 1


def row_warnings(spec: FileSpec, values: dict[str, Any], *, today: date) -> list[tuple[str, str]]:
    """(field, why) for each odd value of one validated row (CSV column names)."""
    found: list[tuple[str, str]] = []
    for column, what in spec.happened.items():
        value = values.get(column)
        day = value.date() if isinstance(value, datetime) else value
        if isinstance(day, date) and (day - today).days > FUTURE_TOLERANCE_DAYS:
            found.append(
                (
                    column,
                    f"{day.isoformat()} is {(day - today).days} days after the import date "
                    f"({today.isoformat()}): {what} cannot have happened yet",
                )
            )
    if spec.file == "usage.csv" and values["active_users"] > values["licensed_seats"]:
        found.append(
            (
                "active_users",
                f"{values['active_users']} active users is more than the {values['licensed_seats']} licensed seats",
            )
        )
    return found
