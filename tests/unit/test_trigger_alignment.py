"""Threshold triggers against the bands: a proposal ties them to the Red cut-off, and a change of
version counts the accounts that would start or stop firing, on their latest stored scores."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pytest

from scoring.calibration_report import calibrate, proposed_config
from scoring.config import FACTORS, TriggerConfig, config_to_dict, load_default_config
from scoring.health import score_book, score_from_factors
from scoring.trigger_alignment import ScoredAccount, aligned_with_bands, trigger_alignment
from scoring.types import Segment
from tests.unit import scoring_factories as f
from tests.unit.test_calibration_fit import TRUE, draw, samples_from

DAY = date(2026, 3, 2)


def version(**changes: Any) -> TriggerConfig:
    """The default configuration with nested changes, e.g. bands={"yellow": 70}."""
    body = config_to_dict(load_default_config())
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(body.get(key), dict) and key != "segment_bands":
            body[key] = {**body[key], **value}
        else:
            body[key] = value
    return TriggerConfig.model_validate(body)


def scored(
    account_id: str,
    score: int,
    *,
    segment: str = "smb",
    factors: dict[str, float] | None = None,
    readiness: int | None = None,
) -> ScoredAccount:
    """An account whose factors all stand at its score, weighted as the default configuration does."""
    values = factors or dict.fromkeys(FACTORS, float(score))
    weights = load_default_config().weights_for(segment)
    total = sum(weights[name] for name in values)
    return ScoredAccount(
        account_id=account_id,
        segment=segment,
        as_of=DAY,
        score=score,
        factors={name: (value, round(weights[name] / total, 4)) for name, value in values.items()},
        expansion_readiness=readiness,
    )


def rows_by_trigger(alignment: Any) -> dict[tuple[str, str], Any]:
    return {(row.trigger, row.segment): row for row in alignment.rows}


def test_a_calibrated_proposal_ties_health_low_and_min_health_to_the_red_cut_off() -> None:
    x, y = draw(3_000, TRUE, seed=5)
    report = calibrate(samples_from(x, y))
    proposal = proposed_config(load_default_config(), report)
    assert report.yellow != 60  # the bands did move
    assert proposal.triggers.health_low.threshold == report.yellow == proposal.bands.yellow
    assert proposal.triggers.expansion_ready.min_health == report.yellow
    assert proposal.triggers.expansion_ready.threshold == 80  # readiness is its own scale: kept


def test_aligning_follows_the_default_bands() -> None:
    config = aligned_with_bands(version(bands={"yellow": 66, "green": 80}))
    assert config.triggers.health_low.threshold == 66 and config.triggers.expansion_ready.min_health == 66


def test_a_threshold_move_alone_counts_the_accounts_between_the_old_and_new_threshold() -> None:
    accounts = [scored(f"A{score}", score) for score in (40, 59, 60, 65, 69, 70, 90)]
    accounts.append(scored("HOT", 65, readiness=90))  # handed to sales today; Red (below 70) tomorrow
    alignment = trigger_alignment(version(), aligned_with_bands(version(bands={"yellow": 70})), accounts)
    rows = rows_by_trigger(alignment)

    low = rows[("health_low", "all")]
    assert (low.current, low.proposed, low.band_cutoff, low.aligned) == (60, 70, 70, True)
    assert (low.accounts_start_firing, low.accounts_stop_firing) == (4, 0)  # 60, 65, 69 and HOT
    handoff = rows[("expansion_ready", "all")]
    assert (handoff.current, handoff.proposed, handoff.aligned) == (60, 70, True)
    assert (handoff.accounts_start_firing, handoff.accounts_stop_firing) == (0, 1)
    assert alignment.accounts == 8 and alignment.latest == DAY
    text = "\n".join(alignment.render())
    assert (
        "health_low" in text and "60 → 70" in text and "4 accounts would start firing, 0 would stop" in text
    )


def test_new_weights_move_scores_and_the_counts_say_so() -> None:
    # usage 30, everything else 100 (no onboarding): 69 with the default weights, 51 with usage at 0.7
    account = scored(
        "A", 69, factors={"usage": 30.0, "support": 100.0, "billing": 100.0, "engagement": 100.0}
    )
    heavy_usage = {"usage": 0.7, "support": 0.1, "billing": 0.1, "engagement": 0.1, "onboarding": 0.0}
    new = version(weights={"default": heavy_usage})
    low = rows_by_trigger(trigger_alignment(version(), new, [account]))[("health_low", "all")]
    assert (low.current, low.proposed) == (60, 60)
    assert (low.accounts_start_firing, low.accounts_stop_firing) == (1, 0)


def test_a_version_out_of_line_with_its_bands_names_the_accounts_in_between() -> None:
    new = version(bands={"yellow": 70, "green": 80})  # a hand edit: Red moved, health_low did not
    accounts = [scored(f"A{score}", score) for score in (50, 62, 65, 72)]
    alignment = trigger_alignment(version(), new, accounts)
    low = rows_by_trigger(alignment)[("health_low", "all")]
    assert (low.current, low.proposed, low.band_cutoff, low.aligned) == (60, 60, 70, False)
    text = "\n".join(alignment.render())
    assert "Red accounts scoring 60-69 get no health_low alert" in text
    assert "Red accounts scoring 60-69 can be handed to sales" in text


def test_bands_per_segment_give_a_row_per_segment() -> None:
    new = version(segment_bands={"enterprise": {"yellow": 65, "green": 80}})
    accounts = [scored("E", 62, segment="enterprise"), scored("S", 62, segment="smb")]
    rows = rows_by_trigger(trigger_alignment(version(), new, accounts))
    assert {segment for _, segment in rows} == {"enterprise", "mid_market", "smb", "self_serve"}
    assert rows[("health_low", "enterprise")].band_cutoff == 65
    assert rows[("health_low", "enterprise")].aligned is False
    assert rows[("health_low", "smb")].aligned is True


def test_without_stored_scores_the_counts_are_unknown_and_the_text_says_so() -> None:
    alignment = trigger_alignment(version(), aligned_with_bands(version(bands={"yellow": 70})), [])
    low = rows_by_trigger(alignment)[("health_low", "all")]
    assert low.accounts_start_firing is None and low.accounts_stop_firing is None
    assert "No stored health scores" in "\n".join(alignment.render())
    body = alignment.as_dict()
    assert body["trigger_alignment_basis"] == {
        "accounts": 0,
        "latest_score_date": None,
        "proposal_scored_by": "factor weights",
    }
    assert {row["trigger"] for row in body["triggers_not_tied_to_bands"]} == {
        "health_drop",
        "expansion_ready",
        "renewal_risk",
        "renewal_reminder",
    }


@pytest.mark.parametrize("segment", ["smb", "enterprise", "self_serve"])
def test_rescoring_from_factor_scores_gives_the_scoring_pass_score(segment: str) -> None:
    config = load_default_config()
    rng = np.random.default_rng(3)
    accounts = [
        f.account(
            account_id=f"A{i}",
            segment=Segment(segment),
            usage=f.usage(int(rng.integers(5, 100))),
            tickets=tuple(f.ticket(days_ago=float(d)) for d in range(int(rng.integers(0, 6)))),
        )
        for i in range(40)
    ]
    for result in score_book(accounts, as_of=f.AS_OF, config=config):
        factors = {factor.name: factor.score for factor in result.factors}
        assert score_from_factors(factors, config.weights_for(segment)) == result.score
