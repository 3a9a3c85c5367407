"""`score` output: one row per account, as a table, CSV or JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from bot.reports.spreadsheet_csv import write_csv
from scoring.types import HealthResult

COLUMNS = (
    "account_id",
    "name",
    "segment",
    "score",
    "band",
    "confidence",
    "weakest_factor",
    "explanation",
    "change_7d",
    "change_30d",
    "change_90d",
    "expansion_readiness",
    "renewal_risk",
)


def score_rows(
    accounts: Mapping[str, tuple[str, str]], results: Sequence[HealthResult]
) -> list[dict[str, object]]:
    """`accounts`: account_id -> (name, segment)."""
    rows: list[dict[str, object]] = []
    for result in results:
        name, segment = accounts[result.account_id]
        weakest = min(result.factors, key=lambda f: f.score, default=None)
        trend = dict(result.trend)
        rows.append(
            {
                "account_id": result.account_id,
                "name": name,
                "segment": segment,
                "score": result.score,
                "band": result.band.value,
                "confidence": round(result.confidence, 2),
                "weakest_factor": weakest.name if weakest else "",
                "explanation": result.explanation,
                "change_7d": trend.get(7, ""),
                "change_30d": trend.get(30, ""),
                "change_90d": trend.get(90, ""),
                "expansion_readiness": ""
                if result.expansion_readiness is None
                else result.expansion_readiness,
                "renewal_risk": "" if result.renewal_risk is None else round(result.renewal_risk, 3),
            }
        )
    rows.sort(key=lambda row: (int(str(row["score"])), str(row["account_id"])))
    return rows


def render(rows: list[dict[str, object]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(rows, indent=2)
    if fmt == "csv":
        return write_csv(rows, COLUMNS)  # names and ids come from imports: never formulas
    return _table(rows)


def _table(rows: list[dict[str, object]]) -> str:
    header = f"{'account':<12} {'name':<28} {'segment':<11} {'score':>5} {'band':<6} {'conf':>4}  why"
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{row['account_id']!s:<12} {str(row['name'])[:28]:<28} {row['segment']!s:<11} "
            f"{row['score']!s:>5} {row['band']!s:<6} {row['confidence']!s:>4}  {str(row['explanation'])[:90]}"
        )
    bands = [str(row["band"]) for row in rows]
    lines.append("-" * len(header))
    lines.append(
        f"{len(rows)} accounts: {bands.count('green')} green, {bands.count('yellow')} yellow, "
        f"{bands.count('red')} red"
    )
    return "\n".join(lines)
