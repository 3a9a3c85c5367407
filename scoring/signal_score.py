"""The calibrated score: 100 minus each signal's points, read off its fitted curve.

Every point is accounted for: the score is exactly 100 minus the sum of the signals' points
(before rounding), never clipped, because calibration scales the curves so the most any
account can lose is 100. Factor scores follow from the same points, so everything built on
factors (triggers, renewal risk, the factor table in cards) keeps working:

    factor score = 100 - 100 x (the factor's points) / (the most its signals can take)
    factor weight = (the most its signals can take) / 100

and the weighted mean of the factors is the score, term for term. Pure: numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoring.config import FACTORS, SignalModel, SignalShape, TriggerConfig
from scoring.features import FeatureTable
from scoring.signals import calibration_inputs, spec_for


def shape_points(shape: SignalShape, values: np.ndarray) -> np.ndarray:
    """Points per value: linear between knots, flat beyond them, `missing_points` for NaN."""
    present = ~np.isnan(values)
    points = np.full(len(values), shape.missing_points, dtype=float)
    points[present] = np.interp(values[present], shape.knots, shape.points)
    return points


def most_points(shape: SignalShape) -> float:
    return max(max(shape.points), shape.missing_points)


@dataclass(frozen=True)
class SignalScores:
    names: list[str]  # the model's signals, in its order
    factors_of: list[str]  # each signal's factor
    values: np.ndarray  # n x K signal values (NaN: no figure)
    points: np.ndarray  # n x K points taken off 100
    factor_scores: np.ndarray  # n x 5, NaN where the model has no signal of that factor
    weights: np.ndarray  # n x 5
    scores: np.ndarray  # n, unrounded: 100 - points.sum(axis=1)


def signal_scores(t: FeatureTable, config: TriggerConfig) -> SignalScores:
    model: SignalModel = config.signal_model
    specs = [spec_for(shape.signal) for shape in model.shapes]
    n = len(t)
    values = calibration_inputs(t, specs, config)
    points = np.zeros((n, len(specs)))
    for k, shape in enumerate(model.shapes):
        points[:, k] = shape_points(shape, values[:, k])
    factor_scores = np.full((n, len(FACTORS)), np.nan)
    weights = np.zeros((n, len(FACTORS)))
    total_most = sum(most_points(shape) for shape in model.shapes)
    if total_most > 0:  # calibration makes it 100; a hand-edited model is put on that scale
        points *= 100 / total_most
    for f, factor in enumerate(FACTORS):
        members = [k for k, spec in enumerate(specs) if spec.factor == factor]
        most = sum(most_points(model.shapes[k]) for k in members) * 100 / max(total_most, 1e-12)
        if most <= 0:
            continue
        lost = points[:, members].sum(axis=1)
        factor_scores[:, f] = 100 - 100 * lost / most
        weights[:, f] = most / 100
    return SignalScores(
        names=[shape.signal for shape in model.shapes],
        factors_of=[spec.factor for spec in specs],
        values=values,
        points=points,
        factor_scores=factor_scores,
        weights=weights,
        scores=100 - points.sum(axis=1),
    )
