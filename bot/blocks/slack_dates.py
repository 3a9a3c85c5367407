"""Times in Slack as each reader expects them: `<!date^…>` shows a time in the reader's own
time zone and language; the fallback after `|` (UTC, spelled out) is what clients that cannot
render it, notifications and search show."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from bot.working_hours import local_time

# Slack's tokens (api.slack.com/reference/surfaces/formatting#date-formatting).
DATE_AND_TIME = "{date_short_pretty} at {time}"  # "Today at 9:30 AM", "Mar 3 at 4:05 PM"
DATE_ONLY = "{date_short_pretty}"
DATE_LONG = "{date_long_pretty}"
TIME_ONLY = "{time}"


DATE_TOKEN = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")


def slack_time(
    moment: datetime, tokens: str = DATE_AND_TIME, *, fallback_zone: ZoneInfo | None = None
) -> str:
    """`moment` (aware; naive means UTC) as a Slack date token the reader sees in their zone.
    The fallback is in `fallback_zone` when the reader's zone is known, else UTC."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    epoch = int(aware.timestamp())
    if tokens in (DATE_ONLY, DATE_LONG):
        fallback = aware.astimezone(fallback_zone or UTC).strftime("%Y-%m-%d")
    elif fallback_zone is None:
        fallback = aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    else:
        fallback = local_time(aware, fallback_zone)
    return f"<!date^{epoch}^{tokens}|{fallback}>"


def slack_day(day: date) -> str:
    """A calendar day (a renewal date, a due date): shown as that day everywhere, so it is
    pinned at noon UTC, where every time zone from UTC-11 to UTC+11 reads the same date."""
    noon = datetime.combine(day, time(12), tzinfo=UTC)
    return f"<!date^{int(noon.timestamp())}^{DATE_ONLY}|{day.isoformat()}>"


def plain_dates(text: str) -> str:
    """Date tokens as their fallback text (a terminal preview, a log line)."""
    return DATE_TOKEN.sub(lambda match: match.group(1), text)
