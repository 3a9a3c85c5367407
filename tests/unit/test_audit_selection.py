"""The audit sample below the line: near-miss bands, the weekly draw, its propensity, exclusions."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from scoring.config import TriggerConfig, load_default_config
from scoring.learning import audit
from scoring.learning.audit import NearMiss, audit_week, near_misses, select_audits
from scoring.triggers import fire_triggers
from scoring.types import AutomationHistory, Band, ContextKind, FactorScore, HealthResult, TriggerKey
from tests.unit.scoring_factories import AS_OF, account, context

CONFIG = load_default_config()
WEEK = audit_week(AS_OF)
FACTOR = (FactorScore("usage", 60.0, 1.0, "60 of 100 seats"),)


def _health(score: int, *, readiness: int | None = None, risk: float | None = None) -> HealthResult:
    band = Band.GREEN if score >= 75 else Band.YELLOW if score >= 60 else Band.RED
    return HealthResult("ACC-1", AS_OF, score, band, 1.0, FACTOR, "why", expansion_readiness=readiness,
                        renewal_risk=risk)  # fmt: skip


def _misses(
    health: HealthResult, *, previous: int | None = None, renewal_in: int | None = None
) -> set[TriggerKey]:
    renewal = AS_OF + timedelta(days=renewal_in) if renewal_in is not None else None
    found = near_misses(health, owner="U1", renewal_date=renewal, previous_score=previous, config=CONFIG)
    return {miss.trigger for miss in found}


def _miss(account_id: str, owner: str, trigger: TriggerKey = TriggerKey.HEALTH_LOW) -> NearMiss:
    return NearMiss(account_id, owner, trigger, 62, 60, 62, AS_OF, "Health 62: health_low fires below 60.")


@pytest.mark.parametrize(("score", "near"), [(59, False), (60, True), (64, True), (65, False)])
def test_health_low_band_is_the_five_points_at_and_above_the_line(score: int, near: bool) -> None:
    assert (TriggerKey.HEALTH_LOW in _misses(_health(score))) is near


@pytest.mark.parametrize(("score", "near"), [(80, False), (81, True), (85, True), (86, False)])
def test_health_drop_band_is_a_fall_of_15_up_to_20_percent(score: int, near: bool) -> None:
    assert (TriggerKey.HEALTH_DROP in _misses(_health(score), previous=100)) is near


def test_health_drop_needs_a_previous_score() -> None:
    assert TriggerKey.HEALTH_DROP not in _misses(_health(82), previous=None)


@pytest.mark.parametrize(("readiness", "near"), [(75, False), (76, True), (80, True), (81, False)])
def test_expansion_band_is_readiness_76_to_80(readiness: int, near: bool) -> None:
    assert (TriggerKey.EXPANSION_READY in _misses(_health(80, readiness=readiness))) is near


def test_an_expansion_near_miss_needs_the_health_the_trigger_needs() -> None:
    assert TriggerKey.EXPANSION_READY not in _misses(_health(59, readiness=79))


@pytest.mark.parametrize(
    ("risk", "days", "near"),
    [(0.2499, 45, False), (0.25, 45, True), (0.2999, 45, True), (0.30, 45, False), (0.28, 29, False),
     (0.28, 30, True), (0.28, 60, True), (0.28, 61, False)],
)  # fmt: skip
def test_renewal_risk_band_is_25_up_to_30_percent_inside_the_renewal_window(
    risk: float, days: int, near: bool
) -> None:
    assert (TriggerKey.RENEWAL_RISK in _misses(_health(70, risk=risk), renewal_in=days)) is near


def test_a_band_of_zero_leaves_the_trigger_unaudited() -> None:
    bands = CONFIG.audit.bands.model_copy(update={"health_low": 0})
    config = CONFIG.model_copy(update={"audit": CONFIG.audit.model_copy(update={"bands": bands})})
    found = near_misses(_health(62), owner="U1", renewal_date=None, previous_score=None, config=config)
    assert found == []


def test_an_account_without_scored_factors_is_near_nothing() -> None:
    assert _misses(replace(_health(62), factors=())) == set()


def test_near_misses_and_fired_triggers_never_overlap() -> None:
    """Every value on a grid around the four lines: a trigger either fires or is a near miss."""
    renewal = AS_OF + timedelta(days=45)
    facts = account(renewal_date=renewal)
    seen: set[TriggerKey] = set()
    for score in range(50, 101, 1):
        for readiness, risk in ((70 + score % 15, 0.20 + (score % 12) / 100), (None, None)):
            health = _health(score, readiness=readiness, risk=risk)
            fired = {
                s.trigger
                for s in fire_triggers(facts, health, as_of=AS_OF, config=CONFIG, previous_score=100)
            }
            near = near_misses(health, owner="U1", renewal_date=renewal, previous_score=100, config=CONFIG)
            assert fired.isdisjoint({m.trigger for m in near}), (score, readiness, risk)
            seen |= {m.trigger for m in near}
    assert seen == {TriggerKey.HEALTH_LOW, TriggerKey.HEALTH_DROP, TriggerKey.EXPANSION_READY,
                    TriggerKey.RENEWAL_RISK}  # fmt: skip


def test_a_near_miss_says_its_value_and_the_line() -> None:
    (miss,) = near_misses(_health(63), owner="U9", renewal_date=None, previous_score=None, config=CONFIG)
    assert (miss.owner, miss.value, miss.threshold, miss.margin) == ("U9", 63, 60, 3)
    assert miss.summary == "Health 63: health_low fires below 60."
    (drop,) = [m for m in near_misses(_health(83), owner="U9", renewal_date=None, previous_score=100,
                                      config=CONFIG) if m.trigger is TriggerKey.HEALTH_DROP]  # fmt: skip
    assert drop.summary == "Health fell 17% in 30 days (100 → 83): health_drop fires at a 20% fall."


def test_about_five_percent_are_drawn_when_every_csm_has_one_near_miss() -> None:
    misses = [_miss(f"ACC-{i}", f"U{i}") for i in range(20_000)]
    picks = select_audits(misses, week=WEEK, rate=0.05)
    assert 0.045 < len(picks) / len(misses) < 0.055
    assert all(pick.propensity == 0.05 for pick in picks)
    assert all(pick.draw < 0.05 and pick.pool == 1 and pick.week == WEEK for pick in picks)


def test_the_draw_is_the_same_on_every_run_and_new_each_week() -> None:
    misses = [_miss(f"ACC-{i}", f"U{i}") for i in range(2_000)]
    first = [p.near_miss.account_id for p in select_audits(misses, week=WEEK, rate=0.05)]
    assert first == [p.near_miss.account_id for p in select_audits(misses[::-1], week=WEEK, rate=0.05)]
    later = [
        p.near_miss.account_id
        for p in select_audits(misses, week=audit_week(AS_OF + timedelta(days=7)), rate=0.05)
    ]
    assert first and later and set(first) != set(later)


def test_at_most_one_card_per_csm_per_week_and_none_for_a_csm_already_audited() -> None:
    misses = [_miss(f"ACC-{owner}-{i}", f"U{owner}", trigger)
              for owner in range(50) for i in range(30) for trigger in (TriggerKey.HEALTH_LOW, TriggerKey.RENEWAL_RISK)]  # fmt: skip
    picks = select_audits(misses, week=WEEK, rate=0.05)
    owners = [pick.near_miss.owner for pick in picks]
    assert len(owners) == len(set(owners)) > 40  # 60 near misses each: nearly every CSM gets one
    assert all(pick.pool == 60 for pick in picks)
    again = select_audits(misses, week=WEEK, rate=0.05, audited=set(owners[:10]))
    assert {p.near_miss.owner for p in again} == set(owners[10:])


def test_the_propensity_is_the_real_chance_of_becoming_the_card_when_the_cap_binds() -> None:
    """Ten near misses for one CSM, over many weeks: each became the card as often as its
    propensity says, (1 - 0.95^10) / 10, not the 5% each was drawn with."""
    misses = [_miss(f"ACC-{i}", "U1") for i in range(10)]
    weeks = 20_000
    chosen = 0
    for n in range(weeks):
        picks = select_audits(misses, week=f"sim-{n}", rate=0.05)
        chosen += sum(1 for p in picks if p.near_miss.account_id == "ACC-3")
    expected = audit.propensity(0.05, 10)
    assert expected == pytest.approx((1 - 0.95**10) / 10)
    assert abs(chosen / weeks - expected) < 0.006  # 0.040; 5% would be off by more than five sigma


def test_a_rate_of_one_audits_every_csm_with_a_near_miss() -> None:
    misses = [_miss("ACC-1", "U1"), _miss("ACC-2", "U1"), _miss("ACC-3", "U2")]
    picks = select_audits(misses, week=WEEK, rate=1.0)
    assert [(p.near_miss.owner, p.propensity) for p in picks] == [("U1", 0.5), ("U2", 1.0)]


def _excluded(facts_changes: dict[str, object], **kw: bool) -> str | None:
    facts = account(**facts_changes)
    flags = {"flagged_today": False, "pending_card": False} | kw
    return audit.exclusion(_miss("ACC-1", "U1"), facts, config=CONFIG, **flags)


@pytest.mark.parametrize(
    ("changes", "flags", "reason"),
    [
        ({}, {}, None),
        ({"always_human": True}, {}, audit.VETOED),
        ({"human_handled": True}, {}, audit.TAKEN_OVER),
        ({"context": (context(ContextKind.SECURITY_INCIDENT, 3),)}, {}, audit.ON_HOLD),
        ({}, {"flagged_today": True}, audit.FLAGGED_TODAY),
        ({}, {"pending_card": True}, audit.PENDING_CARD),
        ({"history": AutomationHistory(last_acted=((TriggerKey.HEALTH_LOW, AS_OF - timedelta(days=5)),))}, {},
         audit.COOLDOWN),
        ({"history": AutomationHistory(last_acted=((TriggerKey.HEALTH_LOW, AS_OF - timedelta(days=14)),))}, {},
         None),
        ({"context": (context(ContextKind.MIGRATION, 3),)}, {}, None),  # not a crisis
    ],
)  # fmt: skip
def test_exclusions(changes: dict[str, object], flags: dict[str, bool], reason: str | None) -> None:
    assert _excluded(changes, **flags) == reason


def test_audit_day_is_the_configured_weekday_and_a_rate_of_zero_turns_it_off() -> None:
    assert audit.is_audit_day(date(2026, 3, 2), CONFIG)  # a Monday
    assert not audit.is_audit_day(date(2026, 3, 3), CONFIG)
    off = CONFIG.model_copy(update={"audit": CONFIG.audit.model_copy(update={"rate": 0.0})})
    assert not audit.is_audit_day(date(2026, 3, 2), off)
    assert TriggerConfig.model_validate({"audit": {"weekday": 3}}).audit.weekday == 3
