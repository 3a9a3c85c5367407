"""Drift in a cell's dismiss rate: flagged when it really moves, quiet when it only wobbles."""

from __future__ import annotations

import random
from datetime import date, timedelta

from scoring.learning.drift import WeekCount, detect, two_proportion_p

MONDAY = date(2026, 1, 5)


def weeks(rates: list[float], cards: int = 40, seed: int = 1) -> list[WeekCount]:
    rng = random.Random(seed)
    return [
        WeekCount(MONDAY + timedelta(weeks=i), sum(rng.random() < rate for _ in range(cards)), cards)
        for i, rate in enumerate(rates)
    ]


def test_a_doubling_of_dismissals_is_flagged_within_two_weeks() -> None:
    history = weeks([0.2] * 6 + [0.45, 0.45])
    drift = detect(history)
    assert drift is not None and drift.since == MONDAY + timedelta(weeks=6)
    assert drift.recent_rate > drift.before_rate
    assert "dismissals went up" in drift.sentence("health_low × smb")


def test_steady_noise_is_not_drift_over_many_seeds() -> None:
    flagged = sum(detect(weeks([0.2] * 8, seed=seed)) is not None for seed in range(200))
    assert flagged <= 4  # alpha 0.01 with a minimum shift: false alarms are rare


def test_too_few_cards_say_nothing() -> None:
    assert detect(weeks([0.1] * 6 + [0.9, 0.9], cards=3)) is None
    assert detect(weeks([0.2, 0.6])) is None  # no history before the recent window


def test_the_p_value_matches_the_textbook_z_test() -> None:
    assert abs(two_proportion_p(20, 100, 40, 100) - 0.00203) < 0.0002
    assert two_proportion_p(0, 10, 0, 10) == 1.0


def test_a_surge_of_cards_is_flagged_and_a_fall_is_not() -> None:
    steady = [WeekCount(MONDAY + timedelta(weeks=i), 12, 40) for i in range(6)]
    surge = [WeekCount(MONDAY + timedelta(weeks=6 + i), 24, 80) for i in range(2)]  # same dismiss rate
    drift = detect(steady + surge)
    assert drift is not None and drift.kind == "volume" and drift.since == MONDAY + timedelta(weeks=6)
    assert "cards went up from 40 to 80 a week" in drift.sentence("health_low × smb")
    fall = [WeekCount(MONDAY + timedelta(weeks=6 + i), 6, 20) for i in range(2)]
    assert detect(steady + fall) is None


def test_steady_volume_is_not_drift_over_many_seeds() -> None:
    flagged = 0
    for seed in range(200):
        rng = random.Random(seed)
        history = []
        for i in range(8):
            cards = sum(rng.random() < 0.5 for _ in range(80))  # about 40 a week
            history.append(WeekCount(MONDAY + timedelta(weeks=i), cards // 3, cards))
        flagged += detect(history) is not None
    assert flagged <= 4
