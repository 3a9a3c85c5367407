"""Words for a health result: which factor pulls the score down most, and data-quality notes.

Sentences a CSM can read out as they are: the factor's name and the figure behind it, never
a bare number.
"""

from __future__ import annotations

from scoring.context import label
from scoring.types import Band, ContextEvent, ContextKind, FactorScore

HEALTHY_FACTOR = 90  # every factor at least this good: nothing "pulls the score down"


def weakest_factor(factors: tuple[FactorScore, ...]) -> FactorScore | None:
    """The factor that costs the score the most points (weight × shortfall from 100); on a tie
    the lower-scoring one."""
    if not factors:
        return None
    return max(factors, key=lambda f: (f.weight * (100 - f.score), -f.score))


def explain(score: int, band: Band, factors: tuple[FactorScore, ...]) -> str:
    """ "Red (48): usage pulls the score down most (12/100) — 9 of 40 seats active ..." """
    heading = f"{band.value.capitalize()} ({score})"
    weakest = weakest_factor(factors)
    if weakest is None:
        return f"{heading}: no data to score this account."
    if weakest.score >= HEALTHY_FACTOR:
        return f"{heading}: every factor is healthy; the lowest is {weakest.name} — {weakest.detail}."
    return (
        f"{heading}: {weakest.name} pulls the score down most ({weakest.score:.0f}/100) — {weakest.detail}."
    )


def data_quality_note(event: ContextEvent, *, usage_fell: bool) -> str:
    """Why a drop may be a data problem, not churn (a migration or a data-source gap)."""
    what = label(event.kind)
    article = "an" if what[0] in "aeiou" else "a"
    started = event.starts_at.date().isoformat()
    note = f" ({event.note})" if event.note else ""
    if usage_fell:
        cause = "the migration" if event.kind is ContextKind.MIGRATION else "the gap"
        return (
            f"Usage fell during {article} {what} that started {started}{note}; "
            f"the drop likely reflects {cause}, not churn."
        )
    return (
        f"{article.capitalize()} {what} started {started}{note}; usage figures since then may not "
        "reflect real adoption, so confidence is lowered."
    )


def missing_note(name: str) -> str:
    return f"No {name} data: the {name} factor is left out and its weight spread over the others."
