"""Working hours: when a person can be expected to see Slack, in their own time zone (pure).

An automated touch waits for its CSM to have had it in front of them, with Cancel, for the
hold window counted in working time: a touch shown at 17:00 with a 2-hour hold and an 18:00
close goes out at 09:00 the next working morning, not at 19:00 when nobody is there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_DAYS_SEARCHED = 366  # a calendar with no working day at all is a configuration error


@dataclass(frozen=True)
class WorkingHours:
    start: time
    end: time
    days: frozenset[int]  # 0 = Monday

    @classmethod
    def parse(cls, hours: str, days: str) -> WorkingHours:
        """From "08:00-18:00" and "mon-fri" (or "mon,tue,thu"); raises ValueError naming what is wrong."""
        try:
            first, last = (time.fromisoformat(part.strip()) for part in hours.split("-"))
        except ValueError as error:
            raise ValueError(f"working hours must look like 08:00-18:00, not {hours!r}") from error
        if first >= last:
            raise ValueError(f"working hours must start before they end, not {hours!r}")
        return cls(first, last, _parse_days(days))

    def opens_on(self, day: date, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
        """The day's working interval in UTC, or None on a day off."""
        if day.weekday() not in self.days:
            return None
        opens = datetime.combine(day, self.start, tzinfo=zone).astimezone(UTC)
        closes = datetime.combine(day, self.end, tzinfo=zone).astimezone(UTC)
        return opens, closes


def _parse_days(text: str) -> frozenset[int]:
    days: set[int] = set()
    for part in text.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise ValueError(f"working days must look like mon-fri or mon,wed,fri, not {text!r}")
        start, end = DAY_NAMES.index(first), DAY_NAMES.index(last or first)
        days.update(range(start, end + 1) if start <= end else [*range(start, 7), *range(0, end + 1)])
    return frozenset(days)


def zone_of(name: str | None) -> ZoneInfo:
    """A user's time zone; an unknown name falls back to UTC rather than failing a digest."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def add_working_time(start: datetime, duration: timedelta, zone: ZoneInfo, hours: WorkingHours) -> datetime:
    """The moment (UTC) by which `duration` of working time has passed since `start`."""
    remaining = duration
    cursor = start.astimezone(UTC)
    day = cursor.astimezone(zone).date()
    for _ in range(MAX_DAYS_SEARCHED):
        interval = hours.opens_on(day, zone)
        if interval is not None:
            opens, closes = interval
            cursor = max(cursor, opens)
            if cursor < closes:
                if closes - cursor >= remaining:
                    return cursor + remaining
                remaining -= closes - cursor
        day += timedelta(days=1)
    raise ValueError("no working day within a year: check TANDEM_WORKING_DAYS")


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    """ "Tue 03 Mar 10:30 CET": a time as the person reads it."""
    local = moment.astimezone(zone)
    return f"{local:%a %d %b %H:%M} {local.tzname() or ''}".rstrip()


def working_time_between(start: datetime, end: datetime, zone: ZoneInfo, hours: WorkingHours) -> timedelta:
    """How much working time lies between `start` and `end` (zero when `end` is not later)."""
    total = timedelta(0)
    if end <= start:
        return total
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    while day <= last:
        interval = hours.opens_on(day, zone)
        if interval is not None:
            opens, closes = interval
            first, until = max(opens, start), min(closes, end)
            if until > first:
                total += until - first
        day += timedelta(days=1)
    return total


def working_day_length(hours: WorkingHours) -> timedelta:
    """One working day's hours ("08:00-18:00": 10 hours)."""
    return datetime.combine(date.min, hours.end) - datetime.combine(date.min, hours.start)
