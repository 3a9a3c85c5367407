"""`overrides`: the override log as CSV (safe to open in a spreadsheet) or JSON, with stable keys."""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.reports.spreadsheet_csv import write_csv
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


def override_rows(records: Sequence[OverrideRecord]) -> list[dict[str, object]]:
    return [
        {
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
        for record in records
    ]


def render(rows: list[dict[str, object]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(rows, indent=2)
    return write_csv(rows, FIELDS)  # account ids and notes are typed by people: never formulas
