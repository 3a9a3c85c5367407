"""Which context events are in view on a day: complexity indicators, crises, data-quality events.

Shared by health (data-quality notes), triggers (complexity, public complaints) and routing
(the hard rules), so every part of scoring agrees on what "active" means.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, timedelta

from scoring.types import (
    COMPLEXITY_CONTEXT,
    CRISIS_CONTEXT,
    DATA_QUALITY_CONTEXT,
    AccountFacts,
    ContextEvent,
    ContextKind,
)

LABELS = {
    ContextKind.MIGRATION: "instance migration",
    ContextKind.DATA_GAP: "data-source gap",
    ContextKind.SECURITY_INCIDENT: "security incident",
    ContextKind.CHAMPION_CHANGE: "champion change",
    ContextKind.CUSTOM_CONTRACT: "custom contract negotiation",
    ContextKind.TECHNICAL_ESCALATION: "technical escalation",
}


def label(kind: ContextKind) -> str:
    """Words for a context kind: "security incident", "custom contract negotiation"."""
    return LABELS.get(kind, kind.value.replace("_", " "))


def in_view(
    facts: AccountFacts, as_of: date, kinds: frozenset[ContextKind], lookback_days: int = 0
) -> list[ContextEvent]:
    """Events of these kinds that started by `as_of` and are active on it or ended within
    `lookback_days` before it (0: active on `as_of` itself)."""
    return events_in_view(facts.context, as_of, kinds, lookback_days)


def events_in_view(
    events: Iterable[ContextEvent], as_of: date, kinds: frozenset[ContextKind], lookback_days: int = 0
) -> list[ContextEvent]:
    """`in_view` over a plain list of events (for callers that hold no AccountFacts)."""
    horizon = as_of - timedelta(days=lookback_days)
    return [
        event
        for event in events
        if event.kind in kinds
        and event.starts_at.date() <= as_of
        and (event.ends_at is None or event.ends_at.date() >= horizon)
    ]


def latest(events: list[ContextEvent]) -> ContextEvent | None:
    return max(events, key=lambda event: event.starts_at) if events else None


def complexity_indicators(facts: AccountFacts, as_of: date) -> list[ContextKind]:
    """The distinct complexity indicators active on `as_of` (two events of one kind count once)."""
    return sorted({event.kind for event in in_view(facts, as_of, COMPLEXITY_CONTEXT)})


def crisis_events(facts: AccountFacts, as_of: date, lookback_days: int) -> list[ContextEvent]:
    return in_view(facts, as_of, CRISIS_CONTEXT, lookback_days)


def data_quality_events(facts: AccountFacts, as_of: date, lookback_days: int) -> list[ContextEvent]:
    return in_view(facts, as_of, DATA_QUALITY_CONTEXT, lookback_days)


def crisis_key(event: ContextEvent) -> str:
    """Which crisis this is, stable from day to day: its kind and start ("security_incident@
    2026-02-27T12:00:00+00:00"). A crisis gets one card for a person; a new one gets a new card."""
    starts = event.starts_at if event.starts_at.tzinfo is None else event.starts_at.astimezone(UTC)
    return f"{event.kind.value}@{starts.isoformat()}"


def days_ago(event: ContextEvent, as_of: date) -> str:
    """ "today", "yesterday", "3 days ago"."""
    days = (as_of - event.starts_at.date()).days
    return "today" if days == 0 else "yesterday" if days == 1 else f"{days} days ago"
