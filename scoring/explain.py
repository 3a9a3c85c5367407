"""Words for a health result: which factor pulls the score down most, and data-quality notes.

Sentences a CSM can read out as they are: the factor's name and the figure behind it, never
a bare number.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date

import numpy as np

from scoring.context import label
from scoring.types import Band, ContextEvent, ContextKind, FactorScore

HEALTHY_FACTOR = 90  # every factor at least this good: nothing "pulls the score down"
MIN_POINTS = 3  # a factor costing fewer points is not worth naming


def weakest_factor(factors: tuple[FactorScore, ...]) -> FactorScore | None:
    """The factor that costs the score the most points (weight × shortfall from 100); on a tie
    the lower-scoring one."""
    if not factors:
        return None
    return max(factors, key=lambda f: (f.weight * (100 - f.score), -f.score))


def points_lost(factor: FactorScore) -> float:
    """What the factor costs the score: its weight times its shortfall from 100."""
    return factor.weight * (100 - factor.score)


def top_contributors(factors: tuple[FactorScore, ...], *, limit: int = 3) -> list[FactorScore]:
    """The factors that cost the score the most, at least MIN_POINTS each, worst first."""
    ranked = sorted(factors, key=lambda f: (-points_lost(f), f.score))
    return [f for f in ranked[:limit] if points_lost(f) >= MIN_POINTS]


def explain(score: int, band: Band, factors: tuple[FactorScore, ...]) -> str:
    """ "Red (48): usage pulls the score down most (12/100) — 9 of 40 seats active ...; then
    support (−8 points) — 4 tickets ..." """
    heading = f"{band.value.capitalize()} ({score})"
    if not factors:
        return f"{heading}: no data to score this account."
    # One ranking serves both: the first is `weakest_factor` (the sort is stable, as max keeps
    # the first of equals) and the next two are the rest of `top_contributors`. Run per account.
    ranked = sorted(factors, key=lambda f: (f.weight * (f.score - 100), f.score))
    weakest = ranked[0]
    if weakest.score >= HEALTHY_FACTOR:
        return f"{heading}: every factor is healthy; the lowest is {weakest.name} — {weakest.detail}."
    sentence = (
        f"{heading}: {weakest.name} pulls the score down most ({weakest.score:.0f}/100) — {weakest.detail}"
    )
    for other in ranked[1:3]:
        lost = points_lost(other)
        if lost >= MIN_POINTS and other.score < HEALTHY_FACTOR:
            sentence += f"; then {other.name} (−{lost:.0f} points) — {other.detail}"
    return sentence + "."


def ingestion_gap_note(days: int, last_day: date) -> str:
    return (
        f"No usage data for {days} days (the last on {last_day.isoformat()}): a gap in the data feed, "
        "not churn; usage is scored on the days before it and confidence is lowered."
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


def signal_breakdown(names: Sequence[str], points: Sequence[float]) -> tuple[tuple[str, float], ...]:
    """(signal, points) that matter, the costliest first (see HealthResult.points)."""
    kept = [(name, round(value, 2)) for name, value in zip(names, points, strict=True) if abs(value) >= 0.05]
    return tuple(sorted(kept, key=lambda pair: -pair[1]))


def signal_breakdowns(names: Sequence[str], points: np.ndarray) -> list[tuple[tuple[str, float], ...]]:
    """`signal_breakdown` of every row of an n x K matrix: the same tuples, built for a whole
    table at once. numpy picks the entries that matter (about 5 of 20 signals per account),
    rounds and orders them; Python makes only those into pairs."""
    n = len(points)
    if points.ndim != 2 or (n and points.shape[1] != len(names)):
        raise ValueError(f"signal_breakdowns: {len(names)} names for points of shape {points.shape}")
    if n == 0 or not len(names):
        return [()] * n
    rows, cols = np.nonzero(np.abs(points) >= 0.05)
    rounded, cents = _round_cents(points[rows, cols])
    span = 2 * (int(np.abs(cents).max(initial=0)) + 1)
    if span * n < 2**62:  # one stable sort: by account, the costliest first, ties in signal order
        order = np.argsort(rows.astype(np.int64) * span - cents, kind="stable")
    else:
        order = np.lexsort((cols, -cents, rows))
    labels = np.asarray(names, dtype=object)[cols[order]].tolist()
    pairs = list(zip(labels, rounded[order].tolist(), strict=True))
    out: list[tuple[tuple[str, float], ...]] = []
    start = 0
    for end in np.cumsum(np.bincount(rows, minlength=n)).tolist():
        out.append(tuple(pairs[start:end]))
        start = end
    return out


def _round_cents(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(round(v, 2) for each value, exactly as Python's round gives it; the same in whole
    hundredths, as int64). Python rounds the value's exact decimal expansion; rint(v x 100)
    agrees unless v x 100 lies within rounding error of a half, and there Python decides."""
    scaled = values * 100
    cents = np.rint(scaled)
    half = np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) <= 1e-9 * np.maximum(1.0, np.abs(scaled))
    rounded = cents / 100
    for i in np.flatnonzero(half).tolist():
        rounded[i] = round(float(values[i]), 2)
        cents[i] = np.rint(rounded[i] * 100)
    return rounded, cents.astype(np.int64)


def explain_signals(
    score: int,
    band: Band,
    names: Sequence[str],
    factors_of: Sequence[str],
    values: Sequence[float],
    points: Sequence[float],
    findings: Mapping[str, str],
    figure: Callable[[str, float], str],
) -> str:
    """The calibrated score's sentence: the factors that cost the most points, each with its
    costliest signal's figure and what calibration learned about that signal on this book.
    "Red (41): support costs 9 points — 6 tickets above the segment's norm (on your book, more
    support tickets go with less churn); then usage costs 7 points — ..." """
    heading = f"{band.value.capitalize()} ({score})"
    by_factor: dict[str, float] = {}
    for factor, value in zip(factors_of, points, strict=True):
        by_factor[factor] = by_factor.get(factor, 0.0) + value
    costly = sorted((f for f in by_factor if by_factor[f] >= MIN_POINTS), key=lambda f: -by_factor[f])[:3]
    if not costly:
        return f"{heading}: no signal costs {MIN_POINTS} points or more."
    parts = []
    for factor in costly:
        k = max(
            (k for k, f in enumerate(factors_of) if f == factor and values[k] == values[k]),
            key=lambda k: points[k],
            default=None,
        )
        part = f"{factor} costs {by_factor[factor]:.0f} points"
        if k is not None:
            part += f" — {figure(names[k], values[k])}"
            if findings.get(names[k]):
                part += f" ({findings[names[k]]})"
        parts.append(part)
    return f"{heading}: " + "; then ".join(parts) + "."
