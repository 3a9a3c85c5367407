"""The health score: weighted factors, a band, a confidence and a sentence saying why.

A factor without data is left out and its weight spread over the others; each missing core
factor, and any migration or data gap overlapping the usage window, lowers the confidence,
and the latter is named in `notes` so a data problem never reads as churn.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta

from scoring.config import TriggerConfig
from scoring.factors import (
    billing_factor,
    engagement_factor,
    onboarding_factor,
    support_factor,
    usage_factor,
)
from scoring.types import DATA_QUALITY_CONTEXT, AccountFacts, Band, FactorScore, HealthResult

CORE_FACTORS = ("usage", "support", "billing", "engagement")  # onboarding only exists early on
MIN_CONFIDENCE = 0.1


def band_for(score: float, config: TriggerConfig) -> Band:
    if score >= config.bands.green:
        return Band.GREEN
    if score >= config.bands.yellow:
        return Band.YELLOW
    return Band.RED


def score_account(facts: AccountFacts, *, as_of: date, config: TriggerConfig) -> HealthResult:
    candidates = [
        usage_factor(facts, as_of, config.usage),
        support_factor(facts, as_of, config.support),
        billing_factor(facts, as_of, config.billing),
        engagement_factor(facts, as_of, config.engagement),
        onboarding_factor(facts, as_of, config.onboarding),
    ]
    present = [factor for factor in candidates if factor is not None]
    weights = config.weights_for(facts.segment.value)
    total_weight = sum(weights[f.name] for f in present) or 1.0
    factors = tuple(replace(f, weight=weights[f.name] / total_weight) for f in present)
    raw = sum(f.score * f.weight for f in factors)
    score = round(raw)
    band = band_for(score, config)

    names = {f.name for f in factors}
    missing = [name for name in CORE_FACTORS if name not in names]
    confidence = 1.0 - config.confidence.missing_factor_penalty * len(missing)
    notes = [f"No {name} data: the {name} factor is left out." for name in missing]
    quality = data_quality_note(facts, as_of, config)
    if quality:
        confidence -= config.confidence.data_quality_penalty
        notes.append(quality)
    return HealthResult(
        account_id=facts.account_id,
        as_of=as_of,
        score=score,
        band=band,
        confidence=max(MIN_CONFIDENCE, round(confidence, 2)),
        factors=factors,
        explanation=explain(score, band, factors),
        notes=tuple(notes),
    )


def score_book(facts: Iterable[AccountFacts], *, as_of: date, config: TriggerConfig) -> list[HealthResult]:
    return [score_account(account, as_of=as_of, config=config) for account in facts]


def weakest_factor(factors: tuple[FactorScore, ...]) -> FactorScore | None:
    """The factor that costs the score the most points (weight × shortfall from 100)."""
    if not factors:
        return None
    return max(factors, key=lambda f: (f.weight * (100 - f.score), -f.score))


def explain(score: int, band: Band, factors: tuple[FactorScore, ...]) -> str:
    label = f"{band.value.capitalize()} ({score})"
    weakest = weakest_factor(factors)
    if weakest is None:
        return f"{label}: no data to score this account."
    if weakest.score >= 90:
        return f"{label}: every factor is healthy; the lowest is {weakest.name} — {weakest.detail}."
    return f"{label}: {weakest.name} pulls the score down most ({weakest.score:.0f}/100) — {weakest.detail}."


def data_quality_note(facts: AccountFacts, as_of: date, config: TriggerConfig) -> str | None:
    """A migration or data gap overlapping the recent window explains a drop in the data."""
    lookback = as_of - timedelta(days=config.confidence.data_quality_lookback_days)
    for event in sorted(facts.context, key=lambda e: e.starts_at, reverse=True):
        if event.kind not in DATA_QUALITY_CONTEXT:
            continue
        starts = event.starts_at.date()
        ends = event.ends_at.date() if event.ends_at else None
        if starts <= as_of and (ends is None or ends >= lookback):
            what = "an instance migration" if event.kind.value == "migration" else "a data-source gap"
            return (
                f"Usage data is unreliable: {what} started {starts.isoformat()}"
                f"{' (' + event.note + ')' if event.note else ''}; a drop since then likely reflects it, not churn."
            )
    return None
