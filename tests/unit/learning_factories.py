"""Stored decisions built by hand, for the learning tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import count

from scoring.learning.types import StoredDecision

DAY = date(2026, 3, 2)  # a Monday
_ids = count(1)


def decision(
    action: str, reason: str | None = None, *, day: date = DAY, trigger: str = "health_low", **extra: object
) -> StoredDecision:
    at = datetime.combine(day, time(10), tzinfo=UTC) + timedelta(hours=1)
    values: dict[str, object] = {
        "id": next(_ids),
        "account_id": "ACC-1",
        "trigger": trigger,
        "action": action,
        "decided_at": at,
        "cycle_day": day,
        "reason_code": reason,
        "segment": "smb",
        "card_id": 1 if action in ("approved", "edited", "taken_over", "dismissed") else None,
    }
    values.update(extra)
    return StoredDecision(**values)  # type: ignore[arg-type]
