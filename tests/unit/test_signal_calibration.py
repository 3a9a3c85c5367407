"""Signal-level calibration on synthetic books with a known truth: it learns what generated the
churn (a flipped direction, two features out of twelve, a turn), says so in words, proposes
nothing in a world without signal, and gets within 0.95 of the reference model's ROC-AUC."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from scoring.config import load_default_config
from scoring.signal_calibration import SignalCalibration, backtest_rows, calibrate_signals
from tests.support.churn_worlds import WORLDS, World, build_world

CONFIG = load_default_config()


@cache
def calibrated(world: str) -> tuple[World, SignalCalibration]:
    built = build_world(WORLDS[world], accounts=1500, months=12, seed=3)
    return built, calibrate_signals(built.samples, config=CONFIG, horizon_days=90)


def truth_auc(world: World) -> float:
    rows = backtest_rows(world.samples)
    return float(roc_auc_score(world.samples.churned[rows], world.truth[rows]))


def kept(report: SignalCalibration) -> set[str]:
    assert report.model is not None
    return {shape.signal for shape in report.model.shapes}


@pytest.mark.parametrize("world", ["inverted_tickets", "two_of_twelve_features", "u_shaped_utilisation"])
def test_the_proposal_ranks_churners_within_0_95_of_the_reference_and_of_the_truth(world: str) -> None:
    built, report = calibrated(world)
    assert report.proposed and report.model is not None
    assert report.auc_gain_low > 0  # better than the current score by more than noise
    assert report.ratio_to_reference >= 0.95
    assert report.proposed_metrics.roc_auc >= 0.95 * truth_auc(built)
    assert report.proposed_metrics.roc_auc > report.current_metrics.roc_auc + 0.1


def test_a_direction_the_data_inverts_is_flipped_and_said_in_words() -> None:
    _, report = calibrated("inverted_tickets")
    tickets = next(f for f in report.findings if f.signal == "ticket_volume")
    assert tickets.flipped
    assert "the more support tickets, the *less* churn" in tickets.sentence
    assert "pointed the other way" in tickets.sentence
    utilisation = next(f for f in report.findings if f.signal == "seat_utilisation")
    assert not utilisation.flipped and "*less* churn" in utilisation.sentence


def test_churn_driven_by_two_of_twelve_features_names_those_two() -> None:
    _, report = calibrated("two_of_twelve_features")
    features = {name.split(":", 1)[1] for name in kept(report) if name.startswith("feature_")}
    assert features == {"Reports", "Exports"}
    sentences = " ".join(f.sentence for f in report.findings)
    assert "use of Reports" in sentences and "use of Exports" in sentences
    assert "churn" in sentences and "× as often" in sentences


def test_a_u_shaped_signal_keeps_its_turn() -> None:
    _, report = calibrated("u_shaped_utilisation")
    utilisation = next(f for f in report.findings if f.signal == "seat_utilisation")
    assert utilisation.turn
    assert report.model is not None
    shape = next(s for s in report.model.shapes if s.signal == "seat_utilisation")
    lowest = int(np.argmin(shape.points))
    assert 0 < lowest < len(shape.points) - 1  # lowest in the middle: both ends cost points
    assert "churn is lowest around" in utilisation.sentence


def test_a_world_without_signal_gets_no_proposal_and_one_sentence_why() -> None:
    _, report = calibrated("no_signal")
    assert not report.proposed and report.model is None
    assert report.verdict.startswith("Not proposed:") and report.verdict.count(".") <= 2
    assert "would help" in report.verdict


def test_the_proposed_model_spends_at_most_100_points_and_places_ordered_bands() -> None:
    _, report = calibrated("two_of_twelve_features")
    assert report.model is not None
    most = sum(max([*s.points, s.missing_points]) for s in report.model.shapes)
    assert most == pytest.approx(100, abs=0.01)
    assert all(min([*s.points, s.missing_points]) == pytest.approx(0, abs=1e-3) for s in report.model.shapes)
    assert report.yellow is not None and report.green is not None and report.yellow < report.green
    rates = {r.band: r.rate for r in report.band_rates}
    assert rates["red"] > rates["yellow"] > rates["green"]
    predicted = [b.predicted for b in report.reliability]
    observed = [b.observed for b in report.reliability]
    assert predicted == sorted(predicted) and observed[-1] > observed[0]


def test_too_few_outcomes_is_a_clear_refusal() -> None:
    built = build_world(WORLDS["no_signal"], accounts=10, months=3, seed=1)
    with pytest.raises(ValueError, match="needs at least"):
        calibrate_signals(built.samples, config=CONFIG, horizon_days=90)
