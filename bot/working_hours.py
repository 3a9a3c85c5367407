"""Working hours in a person's time zone: the pure logic lives in scoring.working_time (the
conversation signals count a customer's wait in working hours too); re-exported here for bot/."""

from __future__ import annotations

from scoring.working_time import (
    DAY_NAMES,
    MAX_DAYS_SEARCHED,
    WorkingHours,
    add_working_time,
    local_time,
    working_day_length,
    working_time_between,
    zone_of,
)

__all__ = [
    "DAY_NAMES",
    "MAX_DAYS_SEARCHED",
    "WorkingHours",
    "add_working_time",
    "local_time",
    "working_day_length",
    "working_time_between",
    "zone_of",
]
