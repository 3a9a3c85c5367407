"""`overrides`: the override log as CSV (safe to open in a spreadsheet) or JSON, with stable keys.

The same columns whether the log is printed by `python app.py overrides` or uploaded to Slack
from ops' App Home (bot.workflows.ops_export): both write rows with `override_row`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from bot.reports.spreadsheet_csv import write_csv, write_csv_to
from storage.models import OverrideRecord

FIELDS = (
    "id",
    "at",
    "action",
    "account_id",
    "card_id",
    "outbox_id",
    "trigger",
    "route",
    "actor",
    "reason",
    "proposed_draft",
    "edited_text",
    "seconds_to_decide",
    "config_version",
)


def override_row(record: Any) -> dict[str, object]:
    """One row of the export from an OverrideRecord, or a row of
    storage.repositories.override_stats.stream_overrides (the same attribute names)."""
    return {
        "id": record.id,
        "at": record.at.isoformat(),
        "action": record.action,
        "account_id": record.account_id,
        "card_id": record.card_id,
        "outbox_id": record.outbox_id,
        "trigger": record.trigger,
        "route": record.proposed_route,
        "actor": record.actor_slack_id,
        "reason": record.reason,
        "proposed_draft": record.proposed_draft,
        "edited_text": record.edited_text,
        "seconds_to_decide": round(record.seconds_to_decide, 1),
        "config_version": record.config_version,
    }


def override_rows(records: Sequence[OverrideRecord]) -> list[dict[str, object]]:
    return [override_row(record) for record in records]


def render(rows: list[dict[str, object]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(rows, indent=2)
    return write_csv(rows, FIELDS)  # account ids and notes are typed by people: never formulas


def write_override_csv(out: TextIO, records: Iterable[Any]) -> int:
    """The CSV export streamed into `out` row by row; returns how many rows it holds."""
    return write_csv_to(out, (override_row(record) for record in records), FIELDS)
