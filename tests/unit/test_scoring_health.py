"""The health score: bands, weight redistribution, confidence, the explanation and notes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scoring.config import TriggerConfig, config_to_dict, load_default_config
from scoring.health import band_for, score_account, score_book
from scoring.types import BillingKind, ContextKind, Segment, Severity
from tests.unit.scoring_factories import AS_OF, account, billing, context, engaged, ticket, usage

CONFIG = load_default_config()


def _weights(result_factors: object) -> dict[str, float]:
    return {f.name: f.weight for f in result_factors}  # type: ignore[attr-defined]


def test_a_healthy_account_is_green_with_full_confidence() -> None:
    result = score_account(account(), as_of=AS_OF, config=CONFIG)
    assert result.band.value == "green" and result.score >= 90
    assert result.confidence == 1.0 and result.notes == ()
    assert {f.name for f in result.factors} == {"usage", "support", "billing", "engagement"}
    assert sum(f.weight for f in result.factors) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("score", "band"),
    [(100, "green"), (75, "green"), (74, "yellow"), (60, "yellow"), (59, "red"), (0, "red")],
)
def test_band_cut_offs(score: int, band: str) -> None:
    assert band_for(score, CONFIG).value == band


def test_band_cut_offs_come_from_the_configuration() -> None:
    body = config_to_dict(CONFIG)
    stricter = TriggerConfig.model_validate({**body, "bands": {"green": 85, "yellow": 70}})
    assert band_for(80, stricter).value == "yellow" and band_for(69, stricter).value == "red"


@pytest.mark.parametrize("active", range(0, 80, 3))
def test_the_band_always_matches_the_rounded_score(active: int) -> None:
    result = score_account(account(usage=usage(active)), as_of=AS_OF, config=CONFIG)
    assert result.band is band_for(result.score, CONFIG)


def test_a_missing_factor_spreads_its_weight_and_lowers_confidence_by_its_share() -> None:
    full = score_account(account(), as_of=AS_OF, config=CONFIG)
    no_usage = score_account(account(usage=()), as_of=AS_OF, config=CONFIG)
    weights = CONFIG.weights_for("smb")
    core = weights["usage"] + weights["support"] + weights["billing"] + weights["engagement"]

    assert "usage" not in _weights(no_usage.factors)
    assert sum(_weights(no_usage.factors).values()) == pytest.approx(1.0)
    # The others keep their proportions: support stays 4/3 of billing.
    assert _weights(no_usage.factors)["support"] / _weights(no_usage.factors)["billing"] == pytest.approx(
        weights["support"] / weights["billing"]
    )
    assert _weights(no_usage.factors)["support"] > _weights(full.factors)["support"]
    assert no_usage.confidence == pytest.approx(round(1 - weights["usage"] / core, 2))
    assert any(note.startswith("No usage data") for note in no_usage.notes)


def test_more_missing_factors_mean_less_confidence() -> None:
    one = score_account(account(billing=()), as_of=AS_OF, config=CONFIG)
    two = score_account(account(billing=(), engagement=()), as_of=AS_OF, config=CONFIG)
    assert 1.0 > one.confidence > two.confidence


def test_an_account_without_any_data_fires_nothing_and_says_so() -> None:
    empty = account(usage=(), tickets=(), billing=(), engagement=())
    result = score_account(empty, as_of=AS_OF, config=CONFIG)
    assert result.factors == () and result.confidence == CONFIG.confidence.min_confidence
    assert result.score == CONFIG.bands.yellow and "no data" in result.explanation


def test_the_explanation_names_usage_with_its_figure_when_usage_is_the_cause() -> None:
    result = score_account(account(usage=usage([40] * 30 + [9] * 30, seats=40)), as_of=AS_OF, config=CONFIG)
    assert result.band.value == "red"
    assert result.explanation.startswith(f"Red ({result.score}): usage pulls the score down most")
    assert "9 of 40 seats active on average over the last 30 days (22%), down 78%" in result.explanation


def test_the_explanation_names_billing_when_billing_is_the_cause() -> None:
    result = score_account(
        account(billing=billing(BillingKind.PAYMENT_FAILED, 4)), as_of=AS_OF, config=CONFIG
    )
    assert "billing pulls the score down most" in result.explanation
    assert "4 failed payments in the last 90 days" in result.explanation


def test_the_explanation_names_support_when_support_is_the_cause() -> None:
    tickets = tuple(ticket(n + 1, Severity.URGENT, closed=False) for n in range(4))
    result = score_account(account(tickets=tickets), as_of=AS_OF, config=CONFIG)
    assert "support pulls the score down most" in result.explanation
    assert "4 tickets in the last 30 days (4 high or urgent; the smb norm is 2), 4 open" in result.explanation


def test_a_healthy_account_is_explained_as_healthy() -> None:
    result = score_account(account(), as_of=AS_OF, config=CONFIG)
    assert "every factor is healthy" in result.explanation


def test_a_migration_lowers_confidence_and_says_the_drop_is_not_churn() -> None:
    falling = usage([80] * 50 + [15] * 10)
    migration = context(ContextKind.MIGRATION, 10, note="Moving to the EU instance")
    migrating = score_account(account(usage=falling, context=(migration,)), as_of=AS_OF, config=CONFIG)
    plain = score_account(account(usage=falling), as_of=AS_OF, config=CONFIG)

    assert migrating.score == plain.score  # the data is what it is ...
    assert migrating.confidence == pytest.approx(
        1 - CONFIG.confidence.data_quality_penalty
    )  # ... trusted less
    assert plain.confidence == 1.0
    assert migrating.notes == (
        "Usage fell during an instance migration that started 2026-02-20 (Moving to the EU instance); "
        "the drop likely reflects the migration, not churn.",
    )


def test_a_data_gap_that_ended_long_ago_no_longer_lowers_confidence() -> None:
    recent = account(context=(context(ContextKind.DATA_GAP, 20, ended_days_ago=15),))
    old = account(context=(context(ContextKind.DATA_GAP, 60, ended_days_ago=45),))
    assert score_account(recent, as_of=AS_OF, config=CONFIG).confidence < 1.0
    assert any("data-source gap" in n for n in score_account(recent, as_of=AS_OF, config=CONFIG).notes)
    assert score_account(old, as_of=AS_OF, config=CONFIG).confidence == 1.0


def test_segment_weights_change_the_score() -> None:
    weak_usage = {"usage": usage(8), "engagement": engaged(replies=4)}
    enterprise = score_account(account(segment=Segment.ENTERPRISE, **weak_usage), as_of=AS_OF, config=CONFIG)
    self_serve = score_account(account(segment=Segment.SELF_SERVE, **weak_usage), as_of=AS_OF, config=CONFIG)
    assert _weights(self_serve.factors)["usage"] > _weights(enterprise.factors)["usage"]
    assert self_serve.score < enterprise.score


def test_more_usage_never_lowers_the_score() -> None:
    scores = [
        score_account(account(usage=usage(level)), as_of=AS_OF, config=CONFIG).score
        for level in range(0, 101, 5)
    ]
    assert scores == sorted(scores)


def test_score_book_scores_every_account_in_order() -> None:
    accounts = [replace(account(), account_id=f"ACC-{n}") for n in range(3)]
    results = score_book(iter(accounts), as_of=AS_OF, config=CONFIG)
    assert [r.account_id for r in results] == ["ACC-0", "ACC-1", "ACC-2"]
    assert all(r.as_of == AS_OF for r in results)


def test_a_migration_without_a_drop_still_lowers_confidence_but_claims_no_drop() -> None:
    steady = account(context=(context(ContextKind.MIGRATION, 5),))
    result = score_account(steady, as_of=AS_OF, config=CONFIG)
    assert result.confidence < 1.0
    assert result.notes == (
        "An instance migration started 2026-02-25; usage figures since then may not reflect real adoption, "
        "so confidence is lowered.",
    )
