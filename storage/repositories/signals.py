"""Signals: fired triggers with their route, one per account, trigger and day."""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scoring.types import Decision
from storage.models import Signal


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda v: v.value if isinstance(v, Enum) else str(v)))


def record_signal(
    session: Session, *, decision: Decision, as_of: date, now: datetime, config_version: int | None
) -> tuple[Signal, bool]:
    """Insert the signal, or return the one an earlier run of the same day recorded (False)."""
    existing = _find(session, decision.account_id, decision.trigger.value, as_of)
    if existing is not None:
        return existing, False
    signal = Signal(
        account_id=decision.account_id,
        trigger=decision.trigger.value,
        as_of=as_of,
        fired_at=now,
        summary=decision.signal.summary,
        details=_json_safe(
            {
                **decision.signal.details,
                "notify_manager": decision.notify_manager,
                "celebratory_tone_blocked": decision.celebratory_tone_blocked,
            }
        ),
        route=decision.route.value,
        reasons={
            "codes": [r.code for r in decision.reasons],
            "sentences": [r.sentence for r in decision.reasons],
        },
        config_version=config_version,
    )
    try:
        with session.begin_nested():  # a concurrent run may have inserted it a moment ago
            session.add(signal)
    except IntegrityError:
        found = _find(session, decision.account_id, decision.trigger.value, as_of)
        if found is None:
            raise
        return found, False
    return signal, True


def _find(session: Session, account_id: str, trigger: str, as_of: date) -> Signal | None:
    return session.scalar(
        select(Signal).where(
            Signal.account_id == account_id, Signal.trigger == trigger, Signal.as_of == as_of
        )
    )


def signals_for_account(session: Session, *, account_id: str, since: date) -> list[Signal]:
    return list(
        session.scalars(
            select(Signal)
            .where(Signal.account_id == account_id, Signal.as_of >= since)
            .order_by(Signal.as_of)
        )
    )
