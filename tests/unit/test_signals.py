"""Signals: the score taken apart signal by signal adds up to the score (hand-set and
calibrated), and a direction flip needs more evidence than a weight change."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from scoring.config import SignalModel, SignalShape, load_default_config
from scoring.health import score_columns, score_table
from scoring.signal_basis import Basis
from scoring.signal_fit import FLIP_Z, WEIGHT_Z, _shape
from scoring.signals import FIXED_NAMES, signal_specs
from tests.support.churn_worlds import account_traits, monthly_table

CONFIG = load_default_config()


def _table(n: int = 400, seed: int = 2):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    return monthly_table(rng, account_traits(rng, n), date(2026, 1, 31))


def test_the_hand_set_scores_points_add_up_to_100_minus_the_score() -> None:
    table = _table()
    scored = score_columns(table, CONFIG)
    assert scored.signal_names == FIXED_NAMES
    lost = scored.signal_points.sum(axis=1)
    assert np.all(np.abs((100 - lost) - scored.scores) <= 0.5 + 1e-9)
    busy = {FIXED_NAMES[k] for k in np.flatnonzero((scored.signal_points > 0.5).any(axis=0))}
    assert {"seat_utilisation", "ticket_volume", "reply_rate"} <= busy


def test_each_result_lists_its_signals_points_costliest_first() -> None:
    results = score_table(_table(50), CONFIG)
    for result in results:
        points = [p for _, p in result.points]
        assert points == sorted(points, reverse=True)
        assert abs(100 - sum(points) - result.score) <= 0.5 + 0.05 * len(FIXED_NAMES)


def _calibrated_config():  # type: ignore[no-untyped-def]
    model = SignalModel(
        shapes=[
            SignalShape(signal="seat_utilisation", knots=[0.2, 0.5, 0.9], points=[50, 20, 0], missing_points=10,
                        finding="your book: the more seat utilisation, the less churn"),
            SignalShape(signal="ticket_volume", knots=[-2, 0, 6], points=[30, 15, 0],
                        finding="your book: the more support tickets, the less churn"),
            SignalShape(signal="feature_use:Reports", knots=[0, 2], points=[20, 0]),
        ],
        intercept=-4.0,
        per_point=0.05,
    )  # fmt: skip
    return CONFIG.model_copy(update={"signal_model": model})


def test_a_calibrated_score_is_100_minus_its_signals_points_and_its_factors_agree() -> None:
    config = _calibrated_config()
    table = _table()
    scored = score_columns(table, config)
    lost = scored.signal_points.sum(axis=1)
    assert np.array_equal(scored.scores, np.floor(100 - lost + 0.5).astype(int))
    weighted = np.nansum(scored.factor_scores * scored.weights, axis=1)
    assert np.allclose(weighted, 100 - lost)
    assert scored.signal_names == ("seat_utilisation", "ticket_volume", "feature_use:Reports")
    assert lost.max() <= 100 and lost.min() >= 0


def test_a_calibrated_explanation_names_the_costliest_signal_with_its_figure_and_finding() -> None:
    config = _calibrated_config()
    results = score_table(_table(), config)
    worst = min(results, key=lambda r: r.score)
    assert worst.explanation.startswith(f"{worst.band.value.capitalize()} ({worst.score}):")
    assert " costs " in worst.explanation and " points — " in worst.explanation
    assert "your book:" in worst.explanation
    assert abs(100 - sum(p for _, p in worst.points) - worst.score) <= 0.5 + 0.05 * 3


def test_feature_signals_follow_the_books_feature_names() -> None:
    names = [spec.name for spec in signal_specs(["Reports", "API"])]
    assert names[-4:] == [
        "feature_use:Reports",
        "feature_trend:Reports",
        "feature_use:API",
        "feature_trend:API",
    ]


@pytest.mark.parametrize(
    ("signal", "z", "outcome"),
    [
        (
            "ticket_volume",
            -(WEIGHT_Z + FLIP_Z) / 2,
            "held",
        ),  # against the hand-set direction, not sure enough
        ("ticket_volume", -(FLIP_Z + 0.5), "flipped"),
        ("ticket_volume", (WEIGHT_Z + FLIP_Z) / 2, "kept"),  # the same direction: 95% is enough
        ("feature_use:Reports", (WEIGHT_Z + FLIP_Z) / 2, "kept"),  # no hand-set direction to flip
        ("ticket_volume", WEIGHT_Z / 2, "dropped"),
    ],
)
def test_a_direction_flip_needs_more_evidence_than_a_weight_change(
    signal: str, z: float, outcome: str
) -> None:
    basis = Basis(signal, np.array([0.0, 5.0]), has_missing=False)
    se = 0.2
    fitted = _shape(signal, basis, np.array([z * se]), np.array([[se**2]]))
    if outcome in ("held", "dropped"):
        assert fitted is None
    else:
        assert fitted is not None and fitted.flipped == (outcome == "flipped")


def test_the_readme_lists_every_signal_with_its_formula() -> None:
    from pathlib import Path

    from scoring.signals import FIXED_SIGNALS

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for spec in FIXED_SIGNALS:
        assert f"| `{spec.name}` | {spec.factor} | {spec.formula} |" in readme, spec.name
