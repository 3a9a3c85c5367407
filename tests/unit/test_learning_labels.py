"""The label mapping: what every action and dismissal reason in the override log means."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scoring.learning.labels import label_for, labels_from
from scoring.learning.types import Action, DismissCode, LabelKind
from storage.enums import CardState, DismissReason
from tests.unit.learning_factories import DAY, decision

CASES = [
    ("approved", None, LabelKind.WORTH_A_PERSON, True),
    ("edited", None, LabelKind.WORTH_A_PERSON, True),
    ("taken_over", None, LabelKind.WORTH_A_PERSON, True),
    ("dismissed", "false_positive", LabelKind.NOISE, False),
    ("dismissed", "known_context", LabelKind.EXCEPTION_CANDIDATE, None),
    ("dismissed", "already_handled", LabelKind.REDUNDANT, None),
    ("dismissed", "wrong_timing", LabelKind.DEFERRED, None),
    ("dismissed", None, LabelKind.NONE, None),
    ("cancelled", None, LabelKind.AGAINST_AUTOMATION, None),
    ("held", "Held at send time: a security incident", LabelKind.NONE, None),
    ("vetoed", None, LabelKind.NONE, None),
    ("veto_lifted", None, LabelKind.NONE, None),
    ("something_new", None, LabelKind.NONE, None),
    ("worth_a_look", None, LabelKind.WORTH_A_PERSON, True),  # an audit card's answers
    ("not_needed", None, LabelKind.NOISE, False),
]


@pytest.mark.parametrize(("action", "reason", "kind", "threshold"), CASES)
def test_every_action_and_reason_has_its_meaning(
    action: str, reason: str | None, kind: LabelKind, threshold: bool | None
) -> None:
    label = label_for(decision(action, reason), as_of=DAY)
    assert label.kind is kind
    assert label.threshold_label is threshold


def test_the_mapping_covers_every_reason_and_decided_state_storage_writes() -> None:
    assert {r.value for r in DismissReason} == {c.value for c in DismissCode}
    decided = {s.value for s in CardState} - {CardState.PENDING, CardState.SUPERSEDED}
    assert decided <= {a.value for a in Action}
    for reason in DismissReason:
        assert label_for(decision("dismissed", reason.value), as_of=DAY).kind is not LabelKind.NONE


def test_an_automated_touch_is_answered_ignored_or_still_awaiting_a_reply() -> None:
    sent = decision("auto_sent")
    replied = decision("auto_sent", replied_at=sent.decided_at + timedelta(days=3))
    late = decision("auto_sent", replied_at=sent.decided_at + timedelta(days=20))
    assert label_for(replied, as_of=DAY + timedelta(days=5), reply_window_days=14).kind is LabelKind.ANSWERED
    assert (
        label_for(sent, as_of=DAY + timedelta(days=5), reply_window_days=14).kind is LabelKind.AWAITING_REPLY
    )
    assert label_for(sent, as_of=DAY + timedelta(days=14), reply_window_days=14).kind is LabelKind.IGNORED
    assert label_for(late, as_of=DAY + timedelta(days=30), reply_window_days=14).kind is LabelKind.IGNORED
    # A reply that happened after the day the report is run for is not known yet.
    assert (
        label_for(replied, as_of=DAY + timedelta(days=1), reply_window_days=14).kind
        is LabelKind.AWAITING_REPLY
    )


def test_labels_are_dated_by_the_cycle_day_the_card_came_from() -> None:
    late_click = decision("approved", day=DAY, decided_at=DAY_AT_NEXT_WEEK)
    [label] = labels_from([late_click], as_of=DAY + timedelta(days=10))
    assert label.day == DAY and label.week == DAY
    veto = decision("vetoed", cycle_day=None, decided_at=DAY_AT_NEXT_WEEK)
    assert labels_from([veto], as_of=DAY + timedelta(days=10))[0].day == DAY_AT_NEXT_WEEK.date()


def test_an_audit_card_weighs_one_over_its_propensity() -> None:
    audit = label_for(decision("approved", propensity=0.05), as_of=DAY)
    assert audit.decision.is_audit and audit.weight == pytest.approx(20)
    assert label_for(decision("approved"), as_of=DAY).weight == 1


DAY_AT_NEXT_WEEK = decision("approved").decided_at + timedelta(days=8)
