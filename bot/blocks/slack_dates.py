"""Times in Slack as each reader expects them: `<!date^…>` shows a time in the reader's own
time zone and language; the fallback after `|` (UTC, spelled out) is what clients that cannot
render it, notifications and search show."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

# Slack's tokens (api.slack.com/reference/surfaces/formatting#date-formatting).
DATE_AND_TIME = "{date_short_pretty} at {time}"  # "Today at 9:30 AM", "Mar 3 at 4:05 PM"
DATE_ONLY = "{date_short_pretty}"
DATE_LONG = "{date_long_pretty}"
TIME_ONLY = "{time}"


def slack_time(moment: datetime, tokens: str = DATE_AND_TIME) -> str:
    """`moment` (aware; naive means UTC) as a Slack date token the reader sees in their zone."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    epoch = int(aware.timestamp())
    fallback = aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{epoch}^{tokens}|{fallback}>"


def slack_day(day: date) -> str:
    """A calendar day (a renewal date, a due date): shown as that day everywhere, so it is
    pinned at noon UTC, where every time zone from UTC-11 to UTC+11 reads the same date."""
    noon = datetime.combine(day, time(12), tzinfo=UTC)
    return f"<!date^{int(noon.timestamp())}^{DATE_ONLY}|{day.isoformat()}>"
