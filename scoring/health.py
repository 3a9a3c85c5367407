"""The health score over a whole FeatureTable: weighted factors, a band, a confidence, words.

A factor without data is left out and its weight spread over the others. Confidence is the
share of the segment's core-factor weight that had data, lowered further when a migration,
a data gap or an ingestion gap is in view (named in `notes`, so a data problem never reads as
churn). Weights and bands are per segment.

`score_table` is the one implementation; `score_account` and `score_book` run it on facts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from scoring.config import FACTORS, Bands, TriggerConfig
from scoring.expansion import expansion_readiness
from scoring.explain import (
    data_quality_note,
    explain,
    explain_signals,
    ingestion_gap_note,
    missing_note,
    signal_breakdowns,
)
from scoring.factors import FACTOR_SPECS, usage_fell
from scoring.features import FeatureTable, data_quality_flags, ingestion_gaps, table_from_facts
from scoring.renewal_risk import renewal_risk
from scoring.signal_points import default_points
from scoring.signal_score import signal_scores
from scoring.signals import FIXED_NAMES, spec_for
from scoring.trends import TREND_WINDOWS, prior_score
from scoring.types import AccountFacts, Band, FactorScore, HealthResult

# Onboarding is left out of confidence: most accounts finished it long ago, which is not missing data.
CORE_FACTORS = ("usage", "support", "billing", "engagement")


def band_for(score: float, config: TriggerConfig, segment: str | None = None) -> Band:
    return band_within(score, config.bands_for(segment) if segment else config.bands)


def band_within(score: float, bands: Bands) -> Band:
    if score >= bands.green:
        return Band.GREEN
    if score >= bands.yellow:
        return Band.YELLOW
    return Band.RED


@dataclass(frozen=True)
class ScoredTable:
    """The columns of a scored table (for bulk consumers that need no per-account objects)."""

    factor_scores: np.ndarray  # n x 5 in FACTORS order, NaN: left out
    weights: np.ndarray  # n x 5 effective weights (rows sum to 1 where any factor has data)
    scores: np.ndarray  # n ints
    confidence: np.ndarray
    expansion: np.ndarray  # NaN: no usage data
    renewal_risk: np.ndarray  # NaN: no renewal in view
    # The score signal by signal: n x K points taken off 100 (they sum to 100 - the unrounded
    # score) for the signals in `signal_names`, and, under a calibrated score, the figures its
    # sentence quotes (the hand-set sentence reads the factors' details instead: n x 0).
    signal_names: tuple[str, ...] = ()
    signal_points: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    signal_values: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))


def score_columns(t: FeatureTable, config: TriggerConfig) -> ScoredTable:
    n = len(t)
    raw = np.stack([spec.scores(t, config) for spec in FACTOR_SPECS], axis=1) if n else np.zeros((0, 5))
    segment_weights = {segment: config.weights_for(segment) for segment in set(t.segments)}
    weights = np.array([[segment_weights[s][name] for name in FACTORS] for s in t.segments]).reshape(n, 5)
    present = ~np.isnan(raw) & (weights > 0)
    used = np.where(present, weights, 0.0)
    total = used.sum(axis=1)
    effective = used / np.where(total > 0, total, 1.0)[:, None]
    weighted = np.where(present, raw, 0.0) * effective
    yellow = np.array([config.bands_for(s).yellow for s in t.segments], dtype=float)
    scores = np.where(total > 0, np.floor(weighted.sum(axis=1) + 0.5), yellow).astype(int)
    factor_scores = np.where(present, raw, np.nan)
    if config.signal_model.shapes:
        calibrated = signal_scores(t, config)
        # The calibrated curves score every account with any data; presence (for confidence
        # and the placeholder) still follows the hand-set factors' data rules.
        scores = np.where(total > 0, np.floor(calibrated.scores + 0.5), yellow).astype(int)
        factor_scores, effective = calibrated.factor_scores, calibrated.weights
        names, points, values = tuple(calibrated.names), calibrated.points, calibrated.values
    else:
        names = FIXED_NAMES
        points = default_points(t, config, effective)
        values = np.zeros((n, 0))

    core = [FACTORS.index(name) for name in CORE_FACTORS]
    core_weight = weights[:, core].sum(axis=1)
    covered = np.where(present[:, core], weights[:, core], 0.0).sum(axis=1)
    confidence = np.where(core_weight > 0, covered / np.where(core_weight > 0, core_weight, 1), 1.0)
    confidence = confidence * np.where(
        data_quality_flags(t, config), 1 - config.confidence.data_quality_penalty, 1
    )
    confidence = np.round(np.maximum(config.confidence.min_confidence, confidence), 2)

    return ScoredTable(
        factor_scores=factor_scores,
        weights=effective,
        scores=scores,
        confidence=confidence,
        expansion=expansion_readiness(t, scores, config),
        renewal_risk=renewal_risk(factor_scores, scores, t["renewal_days"], config),
        signal_names=names,
        signal_points=points,
        signal_values=values,
    )


def score_from_factors(factors: Mapping[str, float], weights: Mapping[str, float]) -> int | None:
    """One account's score from its factor scores (the factors with data) and a segment's
    weights: `score_columns`'s weighted mean, term for term, so a stored snapshot can be rescored
    under another configuration's weights. None when no factor with data has weight (the pass
    then gives a placeholder score that fires nothing)."""
    used = [(factors[name], weights[name]) for name in FACTORS if name in factors and weights[name] > 0]
    total = sum(weight for _, weight in used)
    if total <= 0:
        return None
    return math.floor(sum(score * (weight / total) for score, weight in used) + 0.5)


def score_table(
    t: FeatureTable,
    config: TriggerConfig,
    *,
    prior_scores: Mapping[int, np.ndarray] | None = None,
) -> list[HealthResult]:
    """HealthResults for every row. `prior_scores[days]` holds each account's score that many
    days back (NaN: none), for the 7/30/90-day trend.

    The loop below runs once per account (100,000 of them), so whatever does not depend on
    the row is worked out before it: bands and weights per segment, the trend and which
    accounts need notes as whole columns, each column as a Python list."""
    scored = score_columns(t, config)
    gaps = ingestion_gaps(t, config)
    factor_rows = scored.factor_scores.tolist()
    weight_rows = scored.weights.tolist()
    scores = scored.scores.tolist()
    confidence = scored.confidence.tolist()
    expansion = scored.expansion.tolist()
    risk = scored.renewal_risk.tolist()
    # How much data is behind each factor, per account, summed once per factor (not per row).
    data_points = [
        np.sum([t[c] for c in spec.data_points], axis=0).astype(int).tolist() for spec in FACTOR_SPECS
    ]
    specs = list(enumerate(FACTOR_SPECS))
    signal_names = list(scored.signal_names)
    breakdowns = signal_breakdowns(signal_names, scored.signal_points)
    calibrated = bool(config.signal_model.shapes)
    # Each account's points and figures as lists only where its sentence reads them.
    signal_points = scored.signal_points.tolist() if calibrated else []
    signal_values = scored.signal_values.tolist() if calibrated else []
    findings = {shape.signal: shape.finding for shape in config.signal_model.shapes}
    factors_of = [spec_for(name).factor for name in signal_names]
    segments = set(t.segments)
    bands = {segment: config.bands_for(segment) for segment in segments}
    weights_of = {segment: config.weights_for(segment) for segment in segments}
    trends = _trends(prior_scores, scored.scores)
    # Notes are written only where one can apply: a core factor without data, a data-quality
    # event in view, an ingestion gap (a factor without data has a NaN score).
    core = [FACTORS.index(name) for name in CORE_FACTORS]
    may_note = (
        np.isnan(scored.factor_scores[:, core]).any(axis=1)
        | np.array([event is not None for event in t.data_quality], dtype=bool)
        | gaps
    ).tolist()
    gap_list = gaps.tolist()

    def figure(name: str, value: float) -> str:
        return spec_for(name).figure(value, config)

    results = []
    for i, account_id in enumerate(t.account_ids):
        segment = t.segments[i]
        row, weights = factor_rows[i], weight_rows[i]
        factors = tuple(
            [
                FactorScore(spec.name, row[k], weights[k], spec.detail(t, i, config), data_points[k][i])
                for k, spec in specs
                if row[k] == row[k]  # not NaN: the factor has data
            ]
        )
        score = scores[i]
        band = band_within(score, bands[segment])
        explanation = (
            explain_signals(
                score, band, signal_names, factors_of, signal_values[i], signal_points[i], findings, figure
            )
            if calibrated and factors
            else explain(score, band, factors)
        )
        results.append(
            HealthResult(
                account_id=account_id,
                as_of=t.as_of,
                score=score,
                band=band,
                confidence=confidence[i],
                factors=factors,
                explanation=explanation,
                notes=(
                    _notes(t, i, factors, weights_of[segment], ingestion_gap=gap_list[i])
                    if may_note[i]
                    else ()
                ),
                trend=trends[i],
                expansion_readiness=None if expansion[i] != expansion[i] else int(expansion[i]),
                renewal_risk=None if risk[i] != risk[i] else risk[i],
                points=breakdowns[i],
            )
        )
    return results


def _notes(
    t: FeatureTable,
    i: int,
    factors: tuple[FactorScore, ...],
    weights: Mapping[str, float],
    *,
    ingestion_gap: bool,
) -> tuple[str, ...]:
    names = {f.name for f in factors}
    notes = [missing_note(name) for name in CORE_FACTORS if name not in names and weights[name] > 0]
    event = t.data_quality[i]
    usage = next((f for f in factors if f.name == "usage"), None)
    if event is not None:
        notes.append(data_quality_note(event, usage_fell=usage is not None and usage_fell(usage.detail)))
    if ingestion_gap:
        gap = int(t["u_last_gap"][i])
        notes.append(ingestion_gap_note(gap, t.as_of - timedelta(days=gap)))
    if not factors:
        notes.append("No data at all: the score is a placeholder at the Yellow line until data arrives.")
    return tuple(notes)


def _trends(
    prior_scores: Mapping[int, np.ndarray] | None, scores: np.ndarray
) -> list[tuple[tuple[int, int], ...]]:
    """Each account's (days, change in points) for the windows with an earlier score (the
    earlier score truncated to an int, as stored scores are)."""
    if not prior_scores:
        return [()] * len(scores)
    windows = [days for days in TREND_WINDOWS if days in prior_scores]
    changes = [(scores - np.trunc(prior_scores[days])).tolist() for days in windows]  # NaN: none
    return [
        tuple(
            [
                (days, int(change[i]))
                for days, change in zip(windows, changes, strict=True)
                if change[i] == change[i]
            ]
        )
        for i in range(len(scores))
    ]


def prior_scores_from_facts(facts: list[AccountFacts], as_of: date) -> dict[int, np.ndarray]:
    """The trend's earlier scores from each account's own score history."""
    return {
        days: np.array(
            [
                np.nan if (score := prior_score(a.score_history, as_of=as_of, days=days)) is None else score
                for a in facts
            ],
            dtype=float,
        )
        for days in TREND_WINDOWS
    }


def score_book(facts: Iterable[AccountFacts], *, as_of: date, config: TriggerConfig) -> list[HealthResult]:
    accounts = list(facts)
    table = table_from_facts(accounts, as_of=as_of, config=config)
    return score_table(table, config, prior_scores=prior_scores_from_facts(accounts, as_of))


def score_account(facts: AccountFacts, *, as_of: date, config: TriggerConfig) -> HealthResult:
    return score_book([facts], as_of=as_of, config=config)[0]
