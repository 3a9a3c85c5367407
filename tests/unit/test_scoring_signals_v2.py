"""Issue 3's factor parts: breadth, ticket volume against the segment norm, tone and its trend,
surveys, the ingestion gap, per-segment bands, expansion readiness, renewal risk, evidence."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

import pytest

from scoring.config import TriggerConfig, load_default_config
from scoring.evidence import USAGE_EVIDENCE_DAYS, contributors, shows_usage, usage_evidence
from scoring.factors import engagement_factor, support_factor, usage_factor
from scoring.health import score_account
from scoring.types import Band, ContextKind, EngagementKind, FeatureUse, Segment, Severity
from tests.unit.scoring_factories import AS_OF, account, context, event, ticket, usage

CONFIG = load_default_config()


def features(count: int, days: int = 30) -> tuple[FeatureUse, ...]:
    names = [f"feature-{n}" for n in range(count)]
    return tuple(FeatureUse(AS_OF - timedelta(days=d), name, 3) for d in range(days) for name in names)


def toned(days_ago: float, tone: float, severity: Severity = Severity.NORMAL) -> object:
    return replace(ticket(days_ago, severity, body=f"tone {tone} {days_ago}"), sentiment=tone)


# -- usage breadth ---------------------------------------------------------------------------
def test_broader_adoption_raises_usage_and_no_feature_data_leaves_breadth_out() -> None:
    narrow = usage_factor(account(features=features(1)), AS_OF, CONFIG)
    broad = usage_factor(account(features=features(4)), AS_OF, CONFIG)
    unknown = usage_factor(account(features=()), AS_OF, CONFIG)
    assert narrow is not None and broad is not None and unknown is not None
    assert narrow.score < broad.score
    assert "1 feature in use" in narrow.detail and "4 features in use" in broad.detail
    assert "feature" not in unknown.detail  # unknown breadth is not "0 features"


@pytest.mark.parametrize("seed", range(20))
def test_more_features_in_use_never_lower_usage(seed: int) -> None:
    rng = random.Random(seed)
    count, active = rng.randint(1, 6), rng.randint(5, 90)
    fewer = usage_factor(account(usage=usage(active), features=features(count)), AS_OF, CONFIG)
    more = usage_factor(account(usage=usage(active), features=features(count + 1)), AS_OF, CONFIG)
    assert fewer is not None and more is not None
    assert more.score >= fewer.score


# -- support: volume against the norm, tone and its trend -------------------------------------
def test_the_same_tickets_weigh_more_for_a_segment_that_normally_files_few() -> None:
    tickets = tuple(ticket(d) for d in range(1, 6))  # five normal tickets in the window
    enterprise = support_factor(account(segment=Segment.ENTERPRISE, tickets=tickets), AS_OF, CONFIG)
    self_serve = support_factor(account(segment=Segment.SELF_SERVE, tickets=tickets), AS_OF, CONFIG)
    assert enterprise is not None and self_serve is not None
    assert self_serve.score < enterprise.score
    assert "the self-serve norm is 1" in self_serve.detail
    assert "norm" not in enterprise.detail  # five is within the enterprise norm of six


def test_a_hostile_tone_costs_points_and_a_warm_one_costs_none() -> None:
    hostile = support_factor(account(tickets=(toned(3, -0.9),)), AS_OF, CONFIG)
    warm = support_factor(account(tickets=(toned(3, 0.8),)), AS_OF, CONFIG)
    assert hostile is not None and warm is not None
    assert warm.score - hostile.score == pytest.approx(0.9 * CONFIG.support.tone_points)
    assert "tone hostile (-0.90)" in hostile.detail


def test_a_tone_that_got_worse_than_the_window_before_costs_more() -> None:
    steady = support_factor(account(tickets=(toned(40, -0.3), toned(3, -0.3))), AS_OF, CONFIG)
    worse = support_factor(account(tickets=(toned(40, 0.5), toned(3, -0.3))), AS_OF, CONFIG)
    assert steady is not None and worse is not None
    assert steady.score - worse.score == pytest.approx(0.8 * CONFIG.support.tone_worsening_points)
    assert "worse than +0.50 the 30 days before" in worse.detail


@pytest.mark.parametrize("tone", [-1.0, -0.5, 0.0])
def test_a_harsher_ticket_never_raises_support(tone: float) -> None:
    milder = support_factor(account(tickets=(toned(3, tone + 0.4),)), AS_OF, CONFIG)
    harsher = support_factor(account(tickets=(toned(3, tone),)), AS_OF, CONFIG)
    assert milder is not None and harsher is not None and harsher.score <= milder.score


# -- engagement: surveys -----------------------------------------------------------------------
def test_a_survey_counts_alongside_nps() -> None:
    low = engagement_factor(account(engagement=(event(EngagementKind.SURVEY, 5, 1),)), AS_OF, CONFIG)
    high = engagement_factor(account(engagement=(event(EngagementKind.SURVEY, 5, 5),)), AS_OF, CONFIG)
    assert low is not None and high is not None
    assert low.score == pytest.approx(20) and high.score == pytest.approx(100)
    assert "latest survey 1 of 5" in low.detail


# -- data quality: an ingestion gap is missing data, not churn ------------------------------------
def test_an_ingestion_gap_lowers_confidence_and_is_named_instead_of_reading_as_churn() -> None:
    full = usage(60)
    stopped = tuple(day for day in full if day.day <= AS_OF - timedelta(days=6))  # nothing for 6 days
    gap = score_account(account(usage=stopped), as_of=AS_OF, config=CONFIG)
    steady = score_account(account(usage=full), as_of=AS_OF, config=CONFIG)
    assert gap.confidence < steady.confidence
    assert any("No usage data for 6 days" in note and "not churn" in note for note in gap.notes)
    assert abs(gap.score - steady.score) <= 1  # missing days are not counted as zero use


def test_a_short_pause_within_tolerance_is_not_a_gap() -> None:
    recent = tuple(day for day in usage(60) if day.day <= AS_OF - timedelta(days=1))
    result = score_account(account(usage=recent), as_of=AS_OF, config=CONFIG)
    assert not any("No usage data" in note for note in result.notes)


# -- bands per segment -----------------------------------------------------------------------
def test_bands_can_differ_per_segment() -> None:
    body = load_default_config().model_dump(mode="json")
    body["segment_bands"] = {"smb": {"green": 90, "yellow": 80}}
    stricter = TriggerConfig.model_validate(body)
    facts = account(usage=usage(45))  # an SMB account scoring in the low 80s
    default = score_account(facts, as_of=AS_OF, config=CONFIG)
    strict = score_account(facts, as_of=AS_OF, config=stricter)
    enterprise = score_account(replace(facts, segment=Segment.ENTERPRISE), as_of=AS_OF, config=stricter)
    assert default.score == strict.score and 80 <= default.score < 90
    assert default.band is Band.GREEN and strict.band is Band.YELLOW
    assert enterprise.band is Band.GREEN  # other segments keep the default bands


def test_bands_for_an_unknown_segment_are_refused() -> None:
    body = load_default_config().model_dump(mode="json")
    body["segment_bands"] = {"giant": {"green": 90, "yellow": 80}}
    with pytest.raises(ValueError, match="unknown segment"):
        TriggerConfig.model_validate(body)


# -- expansion readiness and renewal risk ---------------------------------------------------
def test_expansion_readiness_is_high_when_seats_fill_up_and_the_team_grows() -> None:
    growing = usage([60] * 30 + [97] * 30)
    full = score_account(account(usage=growing, features=features(5)), as_of=AS_OF, config=CONFIG)
    idle = score_account(account(usage=usage(30), features=features(1)), as_of=AS_OF, config=CONFIG)
    assert full.expansion_readiness is not None and idle.expansion_readiness is not None
    assert full.expansion_readiness > 80 > 40 > idle.expansion_readiness
    assert score_account(account(usage=()), as_of=AS_OF, config=CONFIG).expansion_readiness is None


def test_renewal_risk_is_scored_only_within_the_horizon_and_rises_as_health_falls() -> None:
    soon = AS_OF + timedelta(days=45)
    healthy = score_account(account(renewal_date=soon), as_of=AS_OF, config=CONFIG)
    failing = score_account(account(renewal_date=soon, usage=usage(5)), as_of=AS_OF, config=CONFIG)
    far = score_account(account(renewal_date=AS_OF + timedelta(days=200)), as_of=AS_OF, config=CONFIG)
    assert healthy.renewal_risk is not None and failing.renewal_risk is not None
    assert failing.renewal_risk > healthy.renewal_risk
    assert far.renewal_risk is None


# -- evidence --------------------------------------------------------------------------------
def test_evidence_names_the_worst_tickets_and_the_weeks_of_usage() -> None:
    angry = replace(toned(2, -0.85, Severity.URGENT), subject="Export failing again", closed_at=None)
    facts = account(
        usage=usage([80] * 46 + [20] * 14),
        tickets=(angry, toned(4, 0.2, Severity.LOW), toned(5, -0.1, Severity.HIGH)),
    )
    result = score_account(facts, as_of=AS_OF, config=CONFIG)
    found = {c.factor: c for c in contributors(facts, result, CONFIG)}
    assert set(found) >= {"usage", "support"}
    assert found["usage"].evidence[0].endswith("80, 80, 80, 80, 20, 20 (of 100 seats)")
    worst = found["support"].evidence[0]
    assert worst.startswith(angry.ticket_id) and "urgent" in worst and "Export failing again" in worst
    assert "high" in found["support"].evidence[1]  # severity before tone


def test_usage_evidence_reads_no_usage_older_than_its_window() -> None:
    # The cycle reads only USAGE_EVIDENCE_DAYS of daily usage for a card's evidence: a gap and a
    # drop just inside that window, and rows far older, must give the same lines either way.
    values = [5] * 60 + [70] * (USAGE_EVIDENCE_DAYS - 10) + [30] * 10
    rows = tuple(row for row in usage(values) if row.day != AS_OF - timedelta(days=USAGE_EVIDENCE_DAYS - 2))
    recent = tuple(row for row in rows if row.day >= AS_OF - timedelta(days=USAGE_EVIDENCE_DAYS))
    assert len(recent) < len(rows)
    full, trimmed = usage_evidence(account(usage=rows), AS_OF), usage_evidence(account(usage=recent), AS_OF)
    assert full == trimmed
    assert full[1] == f"1 of the last {USAGE_EVIDENCE_DAYS} days have no usage data."


def test_data_quality_context_names_the_migration(  # the planted-case story, at unit size
) -> None:
    dropped = usage([80] * 50 + [20] * 10)
    migrating = account(usage=dropped, context=(context(ContextKind.MIGRATION, 12, note="EU move"),))
    result = score_account(migrating, as_of=AS_OF, config=CONFIG)
    assert result.confidence < 1
    assert any("the drop likely reflects the migration, not churn" in note for note in result.notes)


@pytest.mark.parametrize("seed", range(40))
def test_evidence_needs_daily_usage_only_when_usage_costs_the_score_most(seed: int) -> None:
    # The cycle reads an account's daily usage for its card's evidence only when `shows_usage`
    # says so: without those rows, every other account's evidence must be the same.
    rng = random.Random(seed)
    facts = account(
        usage=usage([rng.choice([5, 40, 80, 95])] * 40 + [rng.choice([5, 40, 80, 95])] * 20),
        tickets=tuple(toned(day, rng.uniform(-0.9, 0.5), Severity.HIGH) for day in range(rng.randint(0, 6))),
    )
    result = score_account(facts, as_of=AS_OF, config=CONFIG)
    with_rows = [line for c in contributors(facts, result, CONFIG) for line in c.evidence]
    without = [line for c in contributors(replace(facts, usage=()), result, CONFIG) for line in c.evidence]
    assert shows_usage(result) == (with_rows != without)
