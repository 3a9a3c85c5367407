"""The health score: weighted factors, a band, a confidence and a sentence saying why.

A factor without data is left out and its weight spread over the others. Confidence is the
share of the segment's core-factor weight that had data, lowered further when a migration or
data gap is in view (named in `notes`, so a data problem never reads as churn).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from scoring.config import TriggerConfig
from scoring.context import data_quality_events, latest
from scoring.explain import data_quality_note, explain, missing_note
from scoring.factors import (
    billing_factor,
    engagement_factor,
    onboarding_factor,
    support_factor,
    usage_factor,
    usage_fell,
)
from scoring.types import AccountFacts, Band, FactorScore, HealthResult

# Onboarding is left out of confidence: most accounts finished it long ago, which is not missing data.
CORE_FACTORS = ("usage", "support", "billing", "engagement")


def band_for(score: float, config: TriggerConfig) -> Band:
    if score >= config.bands.green:
        return Band.GREEN
    if score >= config.bands.yellow:
        return Band.YELLOW
    return Band.RED


def factor_scores(facts: AccountFacts, *, as_of: date, config: TriggerConfig) -> list[FactorScore]:
    """The factors that have data, with their raw (not yet redistributed) zero weight."""
    candidates = (
        usage_factor(facts, as_of, config.usage),
        support_factor(facts, as_of, config.support),
        billing_factor(facts, as_of, config.billing),
        engagement_factor(facts, as_of, config.engagement),
        onboarding_factor(facts, as_of, config.onboarding),
    )
    return [factor for factor in candidates if factor is not None]


def score_account(facts: AccountFacts, *, as_of: date, config: TriggerConfig) -> HealthResult:
    weights = config.weights_for(facts.segment.value)
    present = [f for f in factor_scores(facts, as_of=as_of, config=config) if weights[f.name] > 0]
    total_weight = sum(weights[f.name] for f in present)
    factors = tuple(replace(f, weight=weights[f.name] / total_weight) for f in present)
    names = {f.name for f in factors}

    core_weight = sum(weights[name] for name in CORE_FACTORS)
    covered = sum(weights[name] for name in CORE_FACTORS if name in names)
    confidence = covered / core_weight if core_weight > 0 else 1.0
    notes = [missing_note(name) for name in CORE_FACTORS if name not in names and weights[name] > 0]
    event = latest(data_quality_events(facts, as_of, config.confidence.data_quality_lookback_days))
    if event is not None:
        confidence *= 1 - config.confidence.data_quality_penalty
        usage = next((f for f in factors if f.name == "usage"), None)
        notes.append(data_quality_note(event, usage_fell=usage_fell(usage)))

    if factors:
        score = int(sum(f.score * f.weight for f in factors) + 0.5)  # half up, not to even
    else:
        # Nothing to go on: shown at the Yellow line (worth a look), and no trigger fires on it.
        score = config.bands.yellow
        notes.append("No data at all: the score is a placeholder at the Yellow line until data arrives.")
    band = band_for(score, config)
    return HealthResult(
        account_id=facts.account_id,
        as_of=as_of,
        score=score,
        band=band,
        confidence=round(max(config.confidence.min_confidence, confidence), 2),
        factors=factors,
        explanation=explain(score, band, factors),
        notes=tuple(notes),
    )


def score_book(facts: Iterable[AccountFacts], *, as_of: date, config: TriggerConfig) -> list[HealthResult]:
    return [score_account(account, as_of=as_of, config=config) for account in facts]
