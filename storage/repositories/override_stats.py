"""Reading the override log for ops: the decisions of a period by trigger and segment, the
circuit-breaker trips beside them, and the log itself, filtered and streamed, for the CSV export.

Filters (`OverrideFilters`): a trigger, a segment (the account's, kept on the row when it was
decided), a CSM (rows on the accounts the CSM owns) and an action; None is "any".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, TypeVarTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from storage.enums import DECISION_ACTIONS
from storage.models import Account, CircuitBreakerTrip, OverrideRecord

EXPORT_BATCH = 1000  # rows fetched at a time while streaming the log into a CSV
FILTER_FIELDS = ("trigger", "segment", "csm", "action")
_Ts = TypeVarTuple("_Ts")


@dataclass(frozen=True)
class OverrideFilters:
    trigger: str | None = None
    segment: str | None = None
    csm: str | None = None  # a Slack user id: rows on the accounts they own
    action: str | None = None

    @property
    def empty(self) -> bool:
        return not any(getattr(self, name) for name in FILTER_FIELDS)

    def with_value(self, name: str, value: str | None) -> OverrideFilters:
        if name not in FILTER_FIELDS:
            raise ValueError(f"no filter named {name!r}")
        return replace(self, **{name: value or None})


# The columns the export writes (bot.reports.overrides.FIELDS), labelled as the model's
# attributes, so a streamed row reads like an OverrideRecord.
EXPORT_COLUMNS = (
    OverrideRecord.id,
    OverrideRecord.at,
    OverrideRecord.action,
    OverrideRecord.account_id,
    OverrideRecord.card_id,
    OverrideRecord.outbox_id,
    OverrideRecord.trigger,
    OverrideRecord.proposed_route,
    OverrideRecord.actor_slack_id,
    OverrideRecord.reason,
    OverrideRecord.proposed_draft,
    OverrideRecord.edited_text,
    OverrideRecord.seconds_to_decide,
    OverrideRecord.config_version,
)


def _filtered(query: Select[*_Ts], filters: OverrideFilters) -> Select[*_Ts]:
    if filters.trigger:
        query = query.where(OverrideRecord.trigger == filters.trigger)
    if filters.segment:
        query = query.where(OverrideRecord.segment == filters.segment)
    if filters.action:
        query = query.where(OverrideRecord.action == filters.action)
    if filters.csm:
        owned = select(Account.account_id).where(Account.owner_slack_id == filters.csm)
        query = query.where(OverrideRecord.account_id.in_(owned))
    return query


def _period(query: Select[*_Ts], since: datetime | None, until: datetime | None) -> Select[*_Ts]:
    if since is not None:
        query = query.where(OverrideRecord.at >= since)
    if until is not None:
        query = query.where(OverrideRecord.at < until)
    return query


def decision_rows(
    session: Session, *, since: datetime, until: datetime | None = None, filters: OverrideFilters
) -> list[tuple[str, str | None, str, str | None, float]]:
    """(trigger, segment, action, reason_code, seconds_to_decide) of every person's decision on a
    card in [since, until) matching `filters`: plain tuples, no ORM objects."""
    query = select(
        OverrideRecord.trigger,
        OverrideRecord.segment,
        OverrideRecord.action,
        OverrideRecord.reason_code,
        OverrideRecord.seconds_to_decide,
    ).where(OverrideRecord.action.in_(DECISION_ACTIONS))
    query = _filtered(_period(query, since, until), filters)
    return [(t, s, a, r, float(sec)) for t, s, a, r, sec in session.execute(query)]


def trips_by_trigger(session: Session, *, since: date, trigger: str | None = None) -> dict[str, int]:
    """Circuit-breaker trips per trigger on scoring days from `since` on."""
    query = (
        select(CircuitBreakerTrip.trigger, func.count())
        .where(CircuitBreakerTrip.as_of >= since)
        .group_by(CircuitBreakerTrip.trigger)
    )
    if trigger:
        query = query.where(CircuitBreakerTrip.trigger == trigger)
    return {name: int(count) for name, count in session.execute(query)}


def logged_values(session: Session, *, column: str) -> list[str]:
    """The distinct triggers, segments or actions the log holds (the filters' choices)."""
    field = {
        "trigger": OverrideRecord.trigger,
        "segment": OverrideRecord.segment,
        "action": OverrideRecord.action,
    }[column]
    return sorted(str(v) for v in session.scalars(select(field).where(field.is_not(None)).distinct()) if v)


def stream_overrides(
    session: Session, *, since: datetime | None, until: datetime | None, filters: OverrideFilters
) -> Iterator[Any]:
    """The log's rows in [since, until) matching `filters`, oldest first, fetched EXPORT_BATCH at
    a time (a server-side cursor on PostgreSQL): rows with the export's columns, no ORM objects,
    so a 50,000-row log is never held in memory at once."""
    query = _filtered(_period(select(*EXPORT_COLUMNS), since, until), filters)
    query = query.order_by(OverrideRecord.at, OverrideRecord.id).execution_options(yield_per=EXPORT_BATCH)
    yield from session.execute(query)
