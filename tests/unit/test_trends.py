"""Score trends over 7/30/90 days from daily snapshots."""

from __future__ import annotations

from datetime import date, timedelta

from bot.trends import arrow, describe_trend, score_trend

AS_OF = date(2026, 3, 2)


def _day(days_ago: int) -> date:
    return AS_OF - timedelta(days=days_ago)


def test_each_window_compares_with_the_snapshot_at_its_start() -> None:
    history = [(_day(90), 70), (_day(30), 80), (_day(7), 60), (_day(1), 50)]
    assert score_trend(history, as_of=AS_OF, score=48) == ((7, -12), (30, -32), (90, -22))


def test_a_missing_day_falls_back_to_a_close_earlier_snapshot_only() -> None:
    history = [(_day(9), 60), (_day(40), 90)]  # 2 days before the 7-day mark; nothing near 30
    assert score_trend(history, as_of=AS_OF, score=66) == ((7, 6),)
    assert score_trend([], as_of=AS_OF, score=66) == ()


def test_arrows_ignore_noise_and_the_text_reads_well() -> None:
    assert (arrow(-12), arrow(1), arrow(-2), arrow(5)) == ("↘", "→", "→", "↗")
    assert describe_trend(((7, -12), (30, 4))) == "↘ −12 in 7 days · ↗ +4 in 30 days"
    assert describe_trend(()) == ""
