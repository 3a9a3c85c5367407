"""Threshold proposals: tighten a noisy cell, leave a clean one, never loosen from dismissals."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from scoring.config import TriggerConfig
from scoring.learning.labels import labels_from
from scoring.learning.proposal_types import apply_changes
from scoring.learning.thresholds import ThresholdRules, fires, propose_thresholds
from scoring.learning.types import StoredDecision
from scoring.types import TriggerKey

AS_OF = date(2026, 6, 29)
CONFIG = TriggerConfig()


def _decision(n: int, *, value: float, positive: bool, day: date, segment: str = "smb",
              trigger: str = "health_low", reason: str = "false_positive", propensity: float = 1.0,
              line: float = 60) -> StoredDecision:  # fmt: skip
    action = ("worth_a_look" if positive else "not_needed") if propensity < 1 else (
        "approved" if positive else "dismissed")  # fmt: skip
    return StoredDecision(
        id=n, account_id=f"A{n:05d}", trigger=trigger, action=action,
        decided_at=datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=3),
        cycle_day=day, reason_code=None if positive or propensity < 1 else reason, segment=segment,
        fired_value=value, threshold=line, margin=abs(line - value), propensity=propensity,
    )  # fmt: skip


def _world(seed: int, *, separable: bool, n: int = 300, segment: str = "smb", se: float = 0.9,
           sp: float = 0.85) -> list[StoredDecision]:  # fmt: skip
    """Cards on health_low over 6 weeks: true positives score low (20-44), noise just under the
    line (48-59) when `separable`; otherwise both anywhere below 60. Reviewers err at Se / Sp."""
    rng = random.Random(seed)
    decisions = []
    for i in range(n):
        truly = rng.random() < 0.3
        low, high = ((20, 44) if truly else (48, 59)) if separable else (20, 59)
        value = rng.randint(low, high)
        approved = rng.random() < se if truly else rng.random() > sp
        reason = "known_context" if rng.random() < 0.8 else "false_positive"
        day = AS_OF - timedelta(days=rng.randint(0, 41))
        decisions.append(
            _decision(i, value=value, positive=approved, day=day, segment=segment, reason=reason)
        )
    return decisions


def test_a_noisy_cell_is_tightened_and_the_change_applies_to_that_segment_only() -> None:
    labels = labels_from(_world(1, separable=True), as_of=AS_OF)
    proposals = propose_thresholds(labels, config=CONFIG, as_of=AS_OF)
    assert [p.key for p in proposals] == ["threshold:health_low:smb"]
    proposal = proposals[0]
    assert proposal.figures["direction"] == "tighten"
    new_line = proposal.figures["line_proposed"]
    # Every true positive (20-44) still fires; most of the noise band (48-59) no longer does.
    assert 45 <= new_line <= 50
    assert proposal.figures["recall"] >= 0.99 and proposal.figures["p_better"] >= 0.9
    body = apply_changes(CONFIG.model_dump(mode="json"), proposal.changes)
    tuned = TriggerConfig.model_validate(body)
    assert tuned.triggers.line(TriggerKey.HEALTH_LOW, "smb") == new_line
    assert tuned.triggers.line(TriggerKey.HEALTH_LOW, "enterprise") == 60
    assert not fires(TriggerKey.HEALTH_LOW, 50, new_line) and fires(TriggerKey.HEALTH_LOW, 44, new_line)


def test_no_structure_no_proposal_over_many_worlds() -> None:
    made = []
    for seed in range(20):
        labels = labels_from(_world(seed, separable=False), as_of=AS_OF)
        made += propose_thresholds(labels, config=CONFIG, as_of=AS_OF)
    assert made == []


def test_too_few_labels_or_one_week_proposes_nothing() -> None:
    few = labels_from(_world(2, separable=True, n=25), as_of=AS_OF)
    assert propose_thresholds(few, config=CONFIG, as_of=AS_OF) == []
    one_week = [
        _decision(i, value=30 if i % 3 == 0 else 55, positive=i % 3 == 0, day=AS_OF) for i in range(200)
    ]
    assert propose_thresholds(labels_from(one_week, as_of=AS_OF), config=CONFIG, as_of=AS_OF) == []


def test_dismissals_alone_never_loosen() -> None:
    # Every fired card dismissed: nothing says the line misses anything, so it is never loosened.
    dismissed = [
        _decision(i, value=55 + i % 5, positive=False, day=AS_OF - timedelta(days=i % 30)) for i in range(200)
    ]
    proposals = propose_thresholds(labels_from(dismissed, as_of=AS_OF), config=CONFIG, as_of=AS_OF)
    assert all(p.figures["direction"] != "loosen" for p in proposals)


def _graded(n: int = 300) -> list[StoredDecision]:
    """Fired health_low cards whose value matters: the lower the score, the likelier worth it
    (about half at the line, nearly all at 20)."""
    rng = random.Random(5)
    decisions = []
    for i in range(n):
        value = rng.randint(20, 59)
        decisions.append(_decision(i, value=value, positive=rng.random() < 0.55 + (60 - value) / 90,
                                   day=AS_OF - timedelta(days=i % 35)))  # fmt: skip
    return decisions


def _audits(*, positive: int, negative: int) -> list[StoredDecision]:
    """Near misses at 61-63 answered on audit cards, each standing for 20 not shown."""
    return [
        _decision(1000 + i, value=61 + i % 3, positive=i < positive, day=AS_OF - timedelta(days=7 * (i % 4)),
                  propensity=0.05)
        for i in range(positive + negative)
    ]  # fmt: skip


def test_audit_positives_below_the_line_loosen_it() -> None:
    labels = labels_from(_graded() + _audits(positive=6, negative=1), as_of=AS_OF)
    proposals = propose_thresholds(labels, config=CONFIG, as_of=AS_OF)
    assert [p.figures["direction"] for p in proposals] == ["loosen"]
    assert proposals[0].figures["line_proposed"] == 64  # 63 now fires: below 64


def test_no_loosening_where_the_value_says_nothing_or_near_misses_are_mostly_not_needed() -> None:
    # The value says nothing: every fired card at one score, all approved.
    flat = [_decision(i, value=40, positive=True, day=AS_OF - timedelta(days=i % 28)) for i in range(40)]
    labels = labels_from(flat + _audits(positive=6, negative=1), as_of=AS_OF)
    assert propose_thresholds(labels, config=CONFIG, as_of=AS_OF) == []
    # Three near misses worth a look among many not needed: far less often worth it than fired cards.
    labels = labels_from(_graded() + _audits(positive=3, negative=40), as_of=AS_OF)
    assert all(
        p.figures["direction"] != "loosen" for p in propose_thresholds(labels, config=CONFIG, as_of=AS_OF)
    )


def test_a_clean_cell_is_left_alone() -> None:
    clean = [
        _decision(i, value=30 + i % 25, positive=random.Random(i).random() < 0.92,
                  day=AS_OF - timedelta(days=i % 35), segment="enterprise")
        for i in range(120)
    ]  # fmt: skip
    assert propose_thresholds(labels_from(clean, as_of=AS_OF), config=CONFIG, as_of=AS_OF) == []


def test_cards_fired_at_an_older_looser_line_do_not_count() -> None:
    body = CONFIG.model_dump(mode="json")
    body["triggers"]["segment_lines"] = {"smb": {"health_low": 47}}
    tuned = TriggerConfig.model_validate(body)
    labels = labels_from(_world(1, separable=True), as_of=AS_OF)
    # The noise band no longer fires at 47: nothing left to tighten.
    assert propose_thresholds(labels, config=tuned, as_of=AS_OF, rules=ThresholdRules()) == []
