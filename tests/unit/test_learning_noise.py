"""Reviewer noise: Rogan–Gladen recovers a known precision the raw approval rate misses, and
reviewer accuracy is estimated from renewal outcomes."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from scoring.config import Learning
from scoring.learning.cells import measure_cells
from scoring.learning.labels import labels_from
from scoring.learning.noise import ReviewerAccuracy, estimate_reviewer, rogan_gladen
from scoring.learning.types import KnownOutcome, StoredDecision
from scoring.learning.weeks import report_weeks
from tests.unit.learning_factories import DAY, decision

SE, SP = 0.90, 0.85


def _reviewed(
    truth: bool, rng: random.Random, *, se: float = SE, sp: float = SP, **extra: object
) -> StoredDecision:
    """A reviewer approves a worthwhile card with probability se, dismisses a noisy one as a
    false positive with probability sp."""
    approves = rng.random() < se if truth else rng.random() >= sp
    return decision("approved", **extra) if approves else decision("dismissed", "false_positive", **extra)


def test_rogan_gladen_inverts_the_reviewers_error() -> None:
    for truth in (0.0, 0.2, 0.5, 0.9, 1.0):
        observed = SE * truth + (1 - SP) * (1 - truth)
        assert rogan_gladen(observed, sensitivity=SE, specificity=SP) == pytest.approx(truth)
    assert rogan_gladen(0.05, sensitivity=SE, specificity=SP) == 0.0  # below 1 − Sp: clipped
    with pytest.raises(ValueError):
        rogan_gladen(0.5, sensitivity=0.5, specificity=0.5)


def test_corrected_precision_recovers_the_truth_and_the_raw_rate_is_biased() -> None:
    rng = random.Random(12)
    truth = {"smb": 0.15, "mid_market": 0.30, "enterprise": 0.85}
    weeks = report_weeks(DAY + timedelta(days=21), 4)
    decisions = [
        _reviewed(rng.random() < p, rng, segment=segment, cycle_day=week, account_id=f"{segment}-{n}")
        for segment, p in truth.items()
        for week in weeks
        for n in range(400)
    ]
    labels = labels_from(decisions, as_of=weeks[-1] + timedelta(days=6))
    cells = measure_cells(
        labels,
        [],
        weeks=weeks,
        accuracy=ReviewerAccuracy(SE, SP, "defaults"),
        max_prior_labels=100,
        level=0.95,
    )
    for segment, p in truth.items():
        mine = [c for c in cells if c.segment == segment]
        corrected = sum(c.precision or 0 for c in mine) / len(mine)
        raw = sum(c.approval_rate or 0 for c in mine) / len(mine)
        assert corrected == pytest.approx(p, abs=0.04), segment
        assert abs(raw - p) > 0.05, segment  # noise pulls the raw rate towards 0.6 (where a = p)
        assert sum((c.precision_low or 0) <= p <= (c.precision_high or 0) for c in mine) >= 3


def _outcomes_world(
    se: float, sp: float, n: int, seed: int
) -> tuple[list[StoredDecision], list[KnownOutcome]]:
    rng = random.Random(seed)
    decisions, outcomes = [], []
    for i in range(n):
        churns = rng.random() < 0.3
        account = f"ACC-{i}"
        decisions.append(_reviewed(churns, rng, se=se, sp=sp, account_id=account))
        outcomes.append(KnownOutcome(account, "smb", DAY + timedelta(days=60), churns))
    return decisions, outcomes


def _estimate(
    decisions: list[StoredDecision], outcomes: list[KnownOutcome], **changes: object
) -> ReviewerAccuracy:
    settings = Learning().model_copy(update=changes)
    return estimate_reviewer(
        labels_from(decisions, as_of=DAY),
        outcomes,
        sensitivity=settings.reviewer_sensitivity,
        specificity=settings.reviewer_specificity,
        prior_labels=settings.reviewer_prior_labels,
        horizon_days=settings.outcome_horizon_days,
        risk_triggers=[t.value for t in settings.risk_triggers],
    )


def test_reviewer_accuracy_comes_from_renewal_outcomes_when_known() -> None:
    decisions, outcomes = _outcomes_world(se=0.70, sp=0.95, n=3000, seed=4)
    found = _estimate(decisions, outcomes)
    assert found.source == "outcomes" and found.churned_labels + found.renewed_labels == 3000
    assert found.sensitivity == pytest.approx(0.70, abs=0.04)
    assert found.specificity == pytest.approx(0.95, abs=0.02)


def test_without_outcomes_in_view_the_configured_defaults_apply() -> None:
    decisions, outcomes = _outcomes_world(se=0.70, sp=0.95, n=200, seed=5)
    assert _estimate(decisions, []) == ReviewerAccuracy(0.90, 0.85, "defaults")
    too_late = _estimate(decisions, outcomes, outcome_horizon_days=30)  # renewals 60 days on
    assert too_late.source == "defaults"
    expansion = [
        decision(d.action, d.reason_code, account_id=d.account_id, trigger="expansion_ready")
        for d in decisions
    ]
    assert _estimate(expansion, outcomes).source == "defaults"  # churn does not judge expansion cards
