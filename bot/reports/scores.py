"""`score` output: one row per account, as a table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from scoring.types import AccountFacts, HealthResult

COLUMNS = (
    "account_id",
    "name",
    "segment",
    "score",
    "band",
    "confidence",
    "weakest_factor",
    "explanation",
)


def score_rows(facts: Sequence[AccountFacts], results: Sequence[HealthResult]) -> list[dict[str, object]]:
    by_id = {account.account_id: account for account in facts}
    rows: list[dict[str, object]] = []
    for result in results:
        account = by_id[result.account_id]
        weakest = min(result.factors, key=lambda f: f.score, default=None)
        rows.append(
            {
                "account_id": result.account_id,
                "name": account.name,
                "segment": account.segment.value,
                "score": result.score,
                "band": result.band.value,
                "confidence": round(result.confidence, 2),
                "weakest_factor": weakest.name if weakest else "",
                "explanation": result.explanation,
            }
        )
    rows.sort(key=lambda row: (int(str(row["score"])), str(row["account_id"])))
    return rows


def render(rows: list[dict[str, object]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(rows, indent=2)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue()
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
