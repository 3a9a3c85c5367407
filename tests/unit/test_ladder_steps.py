"""The ladder's pure parts: working time between two moments, and which climb is due when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.settings import Settings
from bot.workflows.ladder import Step, next_step
from bot.working_hours import WorkingHours, add_working_time, working_time_between, zone_of
from scoring.config import Attention
from storage.enums import Rung
from storage.repositories.attention import Waiting

HOURS = WorkingHours.parse("08:00-18:00", "mon-fri")
FRIDAY_4PM_NY = datetime(2026, 3, 6, 21, 0, tzinfo=UTC)  # EST; the clocks go forward on Sunday
CONFIG = Attention()


def _card(route: str = "escalate", rung: Rung = Rung.OWNER, manager: str | None = "U0MGR") -> Waiting:
    return Waiting(1, "ACC-1", "Acme", route, rung.value, FRIDAY_4PM_NY, "U0CSM", "America/New_York", manager)


def _settings(channel: str | None = None) -> Settings:
    return Settings(TANDEM_ESCALATION_CHANNEL=channel)  # type: ignore[call-arg]


def test_working_time_skips_the_weekend_and_inverts_adding_it() -> None:
    zone = zone_of("America/New_York")
    monday_10_edt = datetime(2026, 3, 9, 14, 0, tzinfo=UTC)
    assert add_working_time(FRIDAY_4PM_NY, timedelta(hours=4), zone, HOURS) == monday_10_edt
    assert working_time_between(FRIDAY_4PM_NY, monday_10_edt, zone, HOURS) == timedelta(hours=4)
    assert working_time_between(
        FRIDAY_4PM_NY, datetime(2026, 3, 8, 23, tzinfo=UTC), zone, HOURS
    ) == timedelta(hours=2)
    assert working_time_between(monday_10_edt, FRIDAY_4PM_NY, zone, HOURS) == timedelta(0)


def test_an_escalation_goes_to_the_manager_at_four_working_hours_then_the_channel() -> None:
    due = datetime(2026, 3, 9, 14, 0, tzinfo=UTC)
    assert next_step(_card(), due - timedelta(seconds=1), _settings("C1"), CONFIG) is None
    assert next_step(_card(), due, _settings("C1"), CONFIG) == Step(Rung.MANAGER, "4 working hours")
    at_manager = _card(rung=Rung.MANAGER)
    assert next_step(at_manager, due, _settings("C1"), CONFIG) == Step(Rung.CHANNEL, "24 hours")
    assert next_step(at_manager, due, _settings(None), CONFIG) is None  # no channel: the ladder ends here
    assert next_step(_card(rung=Rung.CHANNEL), due + timedelta(days=9), _settings("C1"), CONFIG) is None


def test_without_a_manager_an_escalation_waits_for_the_channel_or_has_nowhere_to_go() -> None:
    day_later = FRIDAY_4PM_NY + timedelta(hours=24)
    alone = _card(manager=None)
    assert next_step(alone, day_later - timedelta(seconds=1), _settings("C1"), CONFIG) is None
    assert next_step(alone, day_later, _settings("C1"), CONFIG) == Step(Rung.CHANNEL, "24 hours")
    assert next_step(alone, day_later, _settings(None), CONFIG) == Rung.OWNER


def test_a_human_card_goes_to_the_manager_after_two_working_days_and_no_further() -> None:
    due = add_working_time(FRIDAY_4PM_NY, timedelta(hours=20), zone_of("America/New_York"), HOURS)
    assert due == datetime(2026, 3, 10, 20, 0, tzinfo=UTC)  # Tuesday 16:00 EDT
    for rung in (Rung.OWNER, Rung.REMINDED):
        card = _card(route="human", rung=rung)
        assert next_step(card, due - timedelta(minutes=1), _settings("C1"), CONFIG) is None
        assert next_step(card, due, _settings("C1"), CONFIG) == Step(Rung.MANAGER, "2 working days")
    assert (
        next_step(_card(route="assist", rung=Rung.MANAGER), due + timedelta(days=30), _settings("C1"), CONFIG)
        is None
    )
