"""Calibration reads its samples in time order through row indices (no copy of the samples),
whatever order they arrive in, and calibrates float32 values as it does float64 ones
(tests/support/churn_worlds.py stores float32 to halve a large world's memory)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from scoring.config import load_default_config
from scoring.signal_calibration import ChurnSamples, calibrate_signals, time_order
from scoring.signal_fit import fit_signals
from tests.support.churn_worlds import WORLDS, build_world

CONFIG = load_default_config()


@pytest.fixture(scope="module")
def world_samples() -> ChurnSamples:
    return build_world(WORLDS["inverted_tickets"], accounts=500, months=12, seed=5).samples


def test_calibration_does_not_depend_on_the_order_samples_arrive_in(world_samples: ChurnSamples) -> None:
    assert np.array_equal(time_order(world_samples), np.arange(len(world_samples.churned)))  # built in order
    shuffled = world_samples.take(np.random.default_rng(2).permutation(len(world_samples.churned)))
    assert not np.array_equal(time_order(shuffled), np.arange(len(shuffled.churned)))
    in_order = calibrate_signals(world_samples, config=CONFIG, horizon_days=90, seed=1)
    from_shuffled = calibrate_signals(shuffled, config=CONFIG, horizon_days=90, seed=1)
    assert from_shuffled == in_order


def test_fitting_through_row_indices_is_fitting_on_the_rows(world_samples: ChurnSamples) -> None:
    s = world_samples
    rows = np.flatnonzero(np.arange(len(s.churned)) % 3 != 0)
    through = fit_signals(s.values, s.churned[rows], s.names, seed=4, rows=rows)
    copied = fit_signals(s.values[rows], s.churned[rows], s.names, seed=4)
    assert through == copied
    with pytest.raises(ValueError, match="rows"):
        fit_signals(s.values, s.churned, s.names, rows=rows)


def test_float32_values_calibrate_as_float64_do_with_knots_as_measured(world_samples: ChurnSamples) -> None:
    wide = dataclasses.replace(world_samples, values=world_samples.values.astype(np.float64))
    narrow = calibrate_signals(world_samples, config=CONFIG, horizon_days=90, seed=1)
    full = calibrate_signals(wide, config=CONFIG, horizon_days=90, seed=1)
    assert world_samples.values.dtype == np.float32
    assert narrow.model is not None and full.model is not None
    assert [s.signal for s in narrow.model.shapes] == [s.signal for s in full.model.shapes]
    assert abs(narrow.proposed_metrics.roc_auc - full.proposed_metrics.roc_auc) < 0.005
    for shape in narrow.model.shapes:
        assert shape.knots == [round(k, 6) for k in shape.knots]  # 0.3, never 0.30000001
