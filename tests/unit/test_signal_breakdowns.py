"""Every account's points breakdown built for a whole table at once is each account's own
(`signal_breakdowns` against `signal_breakdown`), down to Python's rounding."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.explain import _round_cents, signal_breakdown, signal_breakdowns


def test_breakdowns_for_a_whole_table_are_each_accounts_own() -> None:
    rng = np.random.default_rng(0)
    for _ in range(300):
        n, k = int(rng.integers(0, 40)), int(rng.integers(0, 9))
        points = np.round(rng.normal(0, 0.3, (n, k)), int(rng.integers(1, 4)))
        for value, share in (
            (np.nan, 0.1),
            (0.05, 0.1),
            (-0.05, 0.05),
            (0.125, 0.1),
            (-2.675, 0.05),
            (0.049, 0.05),
        ):
            points[rng.random((n, k)) < share] = value  # the edges: NaN, the 0.05 line, half-cents, ties
        names = [f"s{j}" for j in range(k)]
        assert signal_breakdowns(names, points) == [signal_breakdown(names, row) for row in points.tolist()]


def test_breakdowns_reject_names_that_do_not_fit_the_matrix() -> None:
    with pytest.raises(ValueError, match="2 names"):
        signal_breakdowns(["a", "b"], np.zeros((3, 4)))


def test_rounding_a_whole_column_is_pythons_round_bit_for_bit() -> None:
    rng = np.random.default_rng(1)
    values = np.concatenate(
        [
            rng.uniform(-150, 150, 200_000),
            np.round(rng.uniform(-100, 100, 100_000), 3),  # many exact-looking half-cents
            np.arange(-20_000, 20_000) / 200.0,  # every multiple of 0.005 in [-100, 100)
        ]
    )
    rounded, cents = _round_cents(values)
    python = np.array([round(v, 2) for v in values.tolist()])
    assert rounded.tobytes() == python.tobytes()
    assert np.array_equal(cents, np.rint(python * 100).astype(np.int64))
