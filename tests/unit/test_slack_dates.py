from datetime import UTC, date, datetime, timedelta, timezone

from bot.blocks.slack_dates import DATE_ONLY, slack_day, slack_time


def test_a_time_is_a_slack_date_token_with_a_utc_fallback() -> None:
    moment = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
    assert (
        slack_time(moment)
        == f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|2026-03-02 14:30 UTC>"
    )


def test_a_time_in_another_zone_is_the_same_instant() -> None:
    moment = datetime(2026, 3, 2, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert (
        slack_time(moment)
        == f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|2026-03-02 14:30 UTC>"
    )
    assert (
        slack_time(moment, DATE_ONLY) == f"<!date^{int(moment.timestamp())}^{{date_short_pretty}}|2026-03-02>"
    )


def test_a_naive_time_is_read_as_utc() -> None:
    assert slack_time(datetime(2026, 3, 2, 14, 30)) == slack_time(datetime(2026, 3, 2, 14, 30, tzinfo=UTC))


def test_a_day_is_pinned_at_noon_utc() -> None:
    token = slack_day(date(2026, 6, 30))
    epoch = int(token.split("^")[1])
    assert datetime.fromtimestamp(epoch, UTC) == datetime(2026, 6, 30, 12, tzinfo=UTC)
    assert token.endswith("|2026-06-30>")


def test_a_fallback_in_the_readers_zone() -> None:
    from zoneinfo import ZoneInfo

    moment = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)
    assert slack_time(moment, fallback_zone=ZoneInfo("Europe/Berlin")).endswith("|Tue 03 Mar 10:30 CET>")


def test_a_terminal_preview_shows_the_fallback() -> None:
    from bot.blocks.slack_dates import plain_dates

    moment = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
    assert plain_dates(f"Approved at {slack_time(moment)}.") == "Approved at 2026-03-02 14:30 UTC."
