"""Signals: fired triggers with their route, one per account, trigger and day.

Recording is idempotent on (account_id, trigger, as_of): a rerun of the cycle on the same day
gets the row the first run wrote. The insert is `INSERT ... ON CONFLICT DO NOTHING` on both
backends, so two runs racing each other can neither duplicate a signal nor abort the caller's
transaction with an IntegrityError, and no SAVEPOINT is needed.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, cast

from sqlalchemy import Insert, Table, select, update
from sqlalchemy.orm import Session

from scoring.types import Decision, Reason, Route
from storage.models import Account, EscalationCard, Signal
from storage.repositories.bulk import insert_ignoring_duplicates, insert_many

_KEY = ("account_id", "trigger", "as_of")
SIGNALS = cast(Table, Signal.__table__)
IN_CHUNK = 900  # SQLite's bound-parameter limit, with room to spare


def record_signal(
    session: Session, *, decision: Decision, as_of: date, now: datetime, config_version: int | None
) -> tuple[Signal, bool]:
    """Insert the signal and return (row, True), or (the row an earlier run recorded, False)."""
    account_id, trigger = decision.account_id, decision.trigger.value
    existing = _find(session, account_id, trigger, as_of)
    if existing is not None:
        return existing, False
    values = _values(decision, as_of, now, config_version)
    new_id = session.scalar(_insert_ignoring_duplicates(session, values).returning(Signal.id))
    if new_id is not None:
        signal = session.get(Signal, new_id)
        assert signal is not None  # just inserted in this transaction
        return signal, True
    found = _find(session, account_id, trigger, as_of)  # another run got there a moment ago
    if found is None:  # pragma: no cover - the conflict means the row exists
        raise LookupError(f"signal {trigger} for {account_id} on {as_of} conflicted but is not found")
    return found, False


def _insert_ignoring_duplicates(session: Session, values: dict[str, Any]) -> Insert:
    return insert_ignoring_duplicates(session, SIGNALS, _KEY).values(**values)


def record_signals(
    session: Session,
    *,
    decisions: Sequence[Decision],
    as_of: date,
    now: datetime,
    config_version: int | None,
) -> dict[tuple[str, str], tuple[int, bool]]:
    """Record many decisions at once: (account_id, trigger) -> (signal id, created by this call).

    The cycle's bulk path: one read of the day's existing keys for these accounts, one
    executemany of the new rows (duplicates skipped), one read of the ids."""
    account_ids = sorted({d.account_id for d in decisions})
    before = _ids_on(session, account_ids, as_of)
    rows = [
        _values(d, as_of, now, config_version)
        for d in decisions
        if (d.account_id, d.trigger.value) not in before
    ]
    if rows:
        insert_many(session, SIGNALS, _KEY, rows)
    after = _ids_on(session, account_ids, as_of) if rows else before
    return {key: (signal_id, key not in before) for key, signal_id in after.items()}


def keys_on(session: Session, *, as_of: date) -> set[tuple[str, str]]:
    """(account_id, trigger) of every signal recorded for the day."""
    return {
        (account_id, trigger)
        for account_id, trigger in session.execute(
            select(Signal.account_id, Signal.trigger).where(Signal.as_of == as_of)
        )
    }


def _ids_on(session: Session, account_ids: Sequence[str], as_of: date) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for start in range(0, len(account_ids), IN_CHUNK):
        chunk = account_ids[start : start + IN_CHUNK]
        query = select(Signal.id, Signal.account_id, Signal.trigger).where(
            Signal.as_of == as_of, Signal.account_id.in_(chunk)
        )
        for signal_id, account_id, trigger in session.execute(query):
            found[(account_id, trigger)] = signal_id
    return found


def _values(decision: Decision, as_of: date, now: datetime, config_version: int | None) -> dict[str, Any]:
    return {
        "account_id": decision.account_id,
        "trigger": decision.trigger.value,
        "as_of": as_of,
        "fired_at": now,
        "summary": decision.signal.summary,
        "details": json_safe(
            {
                **decision.signal.details,
                "notify_manager": decision.notify_manager,
                "celebratory_tone_blocked": decision.celebratory_tone_blocked,
                "suppressed": decision.suppressed,
            }
        ),
        "route": decision.route.value,
        "reasons": reasons_body(decision.reasons),
        "config_version": config_version,
    }


def reasons_body(reasons: Sequence[Reason]) -> dict[str, list[str]]:
    return {
        "codes": [reason.code for reason in reasons],
        "sentences": [reason.sentence for reason in reasons],
    }


def _find(session: Session, account_id: str, trigger: str, as_of: date) -> Signal | None:
    return session.scalar(
        select(Signal).where(
            Signal.account_id == account_id, Signal.trigger == trigger, Signal.as_of == as_of
        )
    )


def signals_for_account(session: Session, *, account_id: str, since: date) -> list[Signal]:
    """The account's signals from `since` on, oldest first."""
    return list(
        session.scalars(
            select(Signal)
            .where(Signal.account_id == account_id, Signal.as_of >= since)
            .order_by(Signal.as_of, Signal.id)
        )
    )


def held_by_breaker(session: Session, *, as_of: date, trigger: str) -> list[Signal]:
    """The day's signals of `trigger` that the circuit breaker held (its code comes first)."""
    held = session.scalars(
        select(Signal).where(
            Signal.as_of == as_of, Signal.trigger == trigger, Signal.route == Route.HOLD.value
        )
    )
    return [s for s in held if (s.reasons or {}).get("codes", [None])[:1] == ["circuit_breaker"]]


def release_held(session: Session, *, signal_id: int, route: str, reasons: dict[str, list[str]]) -> None:
    """A held signal takes its released route (guarded: only while still held)."""
    session.execute(
        update(Signal)
        .where(Signal.id == signal_id, Signal.route == Route.HOLD.value)
        .values(route=route, reasons=reasons)
    )


def accounts_carded_on(session: Session, *, as_of: date) -> set[str]:
    """Accounts that already have a card for one of the day's signals."""
    return set(
        session.scalars(
            select(EscalationCard.account_id)
            .join(Signal, Signal.id == EscalationCard.signal_id)
            .where(Signal.as_of == as_of)
        )
    )


def owners_of_fired(session: Session, *, as_of: date, trigger: str) -> dict[str, str]:
    """account id -> owner, for the accounts `trigger` fired on that day."""
    query = (
        select(Account.account_id, Account.owner_slack_id)
        .join(Signal, Signal.account_id == Account.account_id)
        .where(Signal.as_of == as_of, Signal.trigger == trigger)
    )
    return {account_id: owner for account_id, owner in session.execute(query)}


def signals_on(session: Session, *, account_id: str, as_of: date) -> list[Signal]:
    """The account's signals of one day, in the order they were recorded."""
    return list(
        session.scalars(
            select(Signal).where(Signal.account_id == account_id, Signal.as_of == as_of).order_by(Signal.id)
        )
    )


def json_safe(value: Any) -> Any:
    """A copy of `value` that any JSON column accepts on both backends.

    Enums become their values, dates and datetimes ISO strings, sets sorted lists, dataclasses
    dicts, Decimals floats, non-finite floats None (PostgreSQL's JSON rejects NaN), mapping keys
    strings; anything else unknown becomes its str().
    """
    if isinstance(value, Enum):
        return json_safe(value.value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, float | Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, date):  # datetime included
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(json_safe(key)): json_safe(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        items = [json_safe(item) for item in value]
        return sorted(items, key=repr)
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return json_safe({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    return str(value)
