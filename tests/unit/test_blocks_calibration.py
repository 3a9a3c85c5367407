"""A calibration proposal's message, group and Details modal; its evidence and its changes."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from typing import Any

import pytest

from bot.blocks.calibration import build_calibration_message
from bot.blocks.calibration_details import calibration_details_modal
from bot.blocks.proposal_view import ProposalView
from bot.blocks.tuning import proposal_group, refresh_groups
from bot.ids import TuningAction
from bot.tuning.calibration_evidence import calibration_changes, calibration_evidence, calibration_title
from scoring.config import config_to_dict, load_default_config
from scoring.learning.proposal_types import ConfigChange, apply_changes
from scoring.signal_calibration import Finding
from tests.support.block_limits import block_problems, view_problems
from tests.support.calibration_reports import NOTE, TICKETS, UTILISATION, calibrated_body, signal_report

BASE = config_to_dict(load_default_config())


def _view(state: str = "proposed", report: Any = None, **kw: Any) -> ProposalView:
    report = report or signal_report()
    changes = calibration_changes(BASE, calibrated_body(BASE, report))
    evidence = calibration_evidence(report, changes)
    fields: dict[str, Any] = {
        "proposal_id": 5, "title": calibration_title(report), "kind": "calibration", "state": state,
        "config_version": 4, "parent_version": 3, "sentences": tuple(evidence["sentences"]), "evidence": evidence,
    } | kw  # fmt: skip
    return ProposalView(**fields)


def _buttons(blocks: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [
        (e["text"]["text"], e["action_id"]) for b in blocks if b["type"] == "actions" for e in b["elements"]
    ]


def test_the_message_says_what_ops_decides_on() -> None:
    text, blocks = build_calibration_message(_view())
    shown = json.dumps(blocks, ensure_ascii=False)
    assert text == "Health score calibration #5 waiting for ops: backtest ROC-AUC 0.499 → 0.755"
    assert block_problems(blocks) == []
    assert "*#5 Calibrated health score: backtest ROC-AUC 0.499 → 0.755*  (v3 → v4)" in shown
    assert (
        "Backtest ROC-AUC: *0.755* proposed · 0.499 current · 0.742 reference — 102% of the reference"
        in shown
    )
    assert "Gain over the current score: *+0.256* (95% interval +0.228 to +0.282)" in shown
    assert UTILISATION in shown and TICKETS in shown
    assert "Red below 16" in shown and "Yellow 16–37" in shown and "Green from 38" in shown
    assert "Churn by band over every sample: Red 49.1% · Yellow 25.1% · Green 6.0%" in shown
    assert "The reliability diagram follows in the thread" in shown
    assert _buttons(blocks) == [
        ("Accept", TuningAction.ACCEPT), ("Reject", TuningAction.REJECT), ("Details", TuningAction.CALIBRATION_DETAILS),
    ]  # fmt: skip
    assert all(str(b.get("block_id", "tuning-5-")).startswith("tuning-5-") for b in blocks[2:])


@pytest.mark.parametrize(
    ("state", "extra", "buttons"),
    [
        ("accepted", {"decided_by": "U0OPS001", "can_roll_back": True}, ["Roll back", "Details"]),
        ("accepted", {"decided_by": "U0OPS001", "can_roll_back": False}, ["Details"]),
        ("rejected", {"decided_by": "U0OPS001", "reason": "not now"}, ["Details"]),
        ("rolled_back", {"rolled_back_by": "U0OPS001"}, ["Details"]),
        ("superseded", {}, ["Details"]),
    ],
)
def test_buttons_follow_the_state(state: str, extra: dict[str, Any], buttons: list[str]) -> None:
    group = proposal_group(_view(state=state, **extra))  # trigger tuning's entry point hands it over
    assert [label for label, _ in _buttons(group)] == buttons
    if state == "superseded":
        assert "A newer calibration took its place." in json.dumps(group)


def test_the_group_splices_into_a_posted_message() -> None:
    _, blocks = build_calibration_message(_view())
    fresh = refresh_groups(blocks, lambda proposal_id: proposal_group(_view("accepted", can_roll_back=True)))
    assert fresh[:2] == blocks[:2] and [label for label, _ in _buttons(fresh)] == ["Roll back", "Details"]


def test_stored_text_is_escaped_and_long_findings_stay_within_slacks_limits() -> None:
    many = tuple(
        Finding(f"feature_use:F{k}", "usage", f"On your book, <!channel> feature F{k} goes with less churn " + "x" * 300,
                "short", False, False)
        for k in range(60)
    )  # fmt: skip
    report = signal_report(findings=many, verdict="Proposed <@U0EVIL>", notes=("a <!here> note",) * 40)
    _, blocks = build_calibration_message(_view(report=report))
    shown = json.dumps(blocks, ensure_ascii=False)
    assert block_problems(blocks) == [] and "<!channel>" not in shown and "<@U0EVIL>" not in shown
    assert "…and 56 more in *Details*." in shown
    modal = calibration_details_modal(_view(report=report))
    assert view_problems(modal) == [] and "<!channel>" not in json.dumps(modal)
    assert "<@U0EVIL>" not in json.dumps(modal) and "&lt;@U0EVIL&gt;" in json.dumps(modal)
    assert "feature F59" in json.dumps(modal)  # every finding


def test_details_shows_findings_backtest_bands_reliability_and_notes() -> None:
    modal = calibration_details_modal(_view())
    shown = json.dumps(modal, ensure_ascii=False)
    assert view_problems(modal) == [] and modal["title"]["text"] == "Calibration #5"
    assert UTILISATION in shown and TICKETS in shown and NOTE in shown
    assert "Proposed: on the backtest it ranks churners better than the current score by +0.256" in shown
    assert "Fitted on the 5,600 samples whose outcome was known before 2025-09-30" in shown
    assert "Red: 214 churned of 436 (49.1%)" in shown and "Green: 83 churned of 1,374 (6.0%)" in shown
    assert "PR-AUC: 0.431 · 0.210 · 0.419" in shown and "1.8% → 2.0%  (400)" in shown


def test_evidence_is_json_without_nan() -> None:
    report = signal_report(auc_gain_low=math.nan, auc_gain_high=math.nan, ratio_to_reference=math.inf)
    evidence = calibration_evidence(report, [])
    json.dumps(evidence, allow_nan=False)
    figures = evidence["figures"]
    assert figures["auc_gain_low"] is None and figures["ratio_to_reference"] is None
    assert figures["roc_auc"] == {"current": 0.4989, "proposed": 0.7554, "reference": 0.7416}
    assert figures["bands"] == {"yellow": 16, "green": 38, "from": "churn rates"}
    assert len(figures["reliability"]) == 10 and figures["band_rates"][0]["band"] == "red"
    assert evidence["verdict"].startswith("Proposed:") and evidence["notes"] == [NOTE]
    shown = json.dumps(build_calibration_message(_view(report=report))[1])
    assert "no interval" in shown and "reference" in shown


def test_the_changes_replace_whole_models_and_move_tied_lines_one_by_one() -> None:
    report = signal_report()
    proposed = calibrated_body(BASE, report)
    changes = calibration_changes(BASE, proposed)
    assert [c.path for c in changes] == [
        ("bands",), ("signal_model",), ("triggers", "expansion_ready", "min_health"),
        ("triggers", "health_low", "threshold"),
    ]  # fmt: skip
    assert apply_changes(BASE, changes) == proposed
    # On top of a version where someone moved another line meanwhile, that line stays.
    moved = apply_changes(BASE, [ConfigChange(("triggers", "health_drop", "drop_fraction"), 0.3)])
    rebased = apply_changes(moved, changes)
    assert rebased["triggers"]["health_drop"]["drop_fraction"] == 0.3
    assert rebased["signal_model"] == proposed["signal_model"] and rebased["bands"] == {
        "yellow": 16,
        "green": 38,
    }
    # A table whose keys differ is replaced whole (a change never deletes a key).
    with_lines = apply_changes(
        BASE, [ConfigChange(("triggers", "segment_lines"), {"smb": {"health_low": 50}})]
    )
    assert calibration_changes(with_lines, BASE) == [ConfigChange(("triggers", "segment_lines"), {})]


def test_a_report_without_a_model_is_titled_all_the_same() -> None:
    report = replace(signal_report(), model=None, proposed=False)
    assert calibration_title(report).startswith("Calibrated health score: backtest ROC-AUC 0.499 → 0.755")
