"""Ops' override-log section of App Home: per trigger and segment over the last 30 days, the
cards people decided, their decision rates, dismiss reasons, median time to decide and the
trigger's circuit-breaker trips; filtered by trigger, segment, CSM and action.

The chosen filters travel in the Home view's private_metadata (`{"ops_filters": {...}}`), so a
filter click, and an app_home_opened event carrying the view, publish the Home with them."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.blocks.ops_home import ANY, FilterChoices, OpsHomeView, ops_home_section
from bot.deps import Deps
from bot.ids import OpsHomeAction
from bot.reports.override_summary import DecisionRow, summarise
from bot.workflows.refused import Refused
from scoring.types import Segment, TriggerKey
from storage.enums import DECISION_ACTIONS, Role
from storage.models import User
from storage.repositories import override_stats
from storage.repositories.override_stats import OverrideFilters

OPS_HOME_ROLES = frozenset({Role.OPS, Role.ADMIN})
WINDOW_DAYS = 30
METADATA_KEY = "ops_filters"
NOT_OPS = "Only ops and admins can filter or export the override log. Nothing was changed."
FILTER_OF_ACTION = {
    OpsHomeAction.FILTER_TRIGGER: "trigger",
    OpsHomeAction.FILTER_SEGMENT: "segment",
    OpsHomeAction.FILTER_CSM: "csm",
    OpsHomeAction.FILTER_ACTION: "action",
}
SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,20}")
VALUE_LIMITS = {"trigger": 24, "segment": 16, "action": 24}  # the override log's column widths


def may_use(user: User | None) -> bool:
    return user is not None and user.role in OPS_HOME_ROLES


def section_blocks(
    session: Session, *, now: datetime, filters: OverrideFilters | None
) -> list[dict[str, Any]]:
    """The section's blocks for an ops or admin user (the caller checks the role)."""
    filters = filters or OverrideFilters()
    since = now - timedelta(days=WINDOW_DAYS)
    rows = [DecisionRow(*row) for row in override_stats.decision_rows(session, since=since, filters=filters)]
    trips = override_stats.trips_by_trigger(session, since=since.date(), trigger=filters.trigger)
    if filters.segment or filters.csm or filters.action:  # trips are per trigger: keep the matching ones
        trips = {
            trigger: count for trigger, count in trips.items() if any(r.trigger == trigger for r in rows)
        }
    return ops_home_section(OpsHomeView(summarise(rows, trips=trips), filters, filter_choices(session)))


def filter_choices(session: Session, *, every_action: bool = False) -> FilterChoices:
    """Known triggers and segments with any the log holds; decisions (or, for the export, every
    action the log holds)."""
    triggers = sorted({*TriggerKey, *override_stats.logged_values(session, column="trigger")})
    segments = [
        *Segment,
        *(s for s in override_stats.logged_values(session, column="segment") if s not in set(Segment)),
    ]
    actions = list(DECISION_ACTIONS)
    if every_action:
        actions += [
            a for a in override_stats.logged_values(session, column="action") if a not in DECISION_ACTIONS
        ]
    return FilterChoices(
        triggers=[str(t) for t in triggers], segments=[str(s) for s in segments], actions=actions
    )


def filters_from_metadata(metadata: Any) -> OverrideFilters:
    """The filters a published Home view carries; none when it carries none (or not ours)."""
    try:
        stored = json.loads(metadata) if isinstance(metadata, str) and metadata else {}
    except json.JSONDecodeError:
        return OverrideFilters()
    chosen = stored.get(METADATA_KEY) if isinstance(stored, dict) else None
    if not isinstance(chosen, dict):
        return OverrideFilters()
    filters = OverrideFilters()
    for name in override_stats.FILTER_FIELDS:
        value = chosen.get(name)
        if isinstance(value, str) and valid_value(name, value):
            filters = filters.with_value(name, value)
    return filters


def with_filters(view: dict[str, Any], filters: OverrideFilters | None) -> dict[str, Any]:
    """`view` carrying `filters` in its private_metadata (nothing when there are none)."""
    if filters is None or filters.empty:
        return view
    chosen = {name: getattr(filters, name) for name in override_stats.FILTER_FIELDS if getattr(filters, name)}
    return {**view, "private_metadata": json.dumps({METADATA_KEY: chosen})}


def valid_value(name: str, value: str) -> bool:
    if name == "csm":
        return bool(SLACK_USER.fullmatch(value))
    if name == "action" and value not in DECISION_ACTIONS:
        return False
    return 0 < len(value) <= VALUE_LIMITS[name] and value.isprintable()


def choose_filter(
    deps: Deps, *, actor: str, current: OverrideFilters, action_id: str, value: str | None
) -> OverrideFilters | Refused:
    """The filters after one choice (`value` None or ANY: that filter cleared; the Clear button:
    all cleared); only ops and admins may filter."""
    with deps.session_factory() as session:
        if not may_use(session.get(User, actor)):
            return Refused(NOT_OPS)
    if action_id == OpsHomeAction.CLEAR:
        return OverrideFilters()
    name = FILTER_OF_ACTION.get(OpsHomeAction(action_id)) if action_id in set(OpsHomeAction) else None
    if name is None:
        return Refused("That is not one of the override log's filters. Nothing was changed.")
    if value is None or value == ANY:
        return current.with_value(name, None)
    if not valid_value(name, value):
        return Refused(f"“{value[:40]}” is not a {name} Tandem can filter by. Nothing was changed.")
    return current.with_value(name, value)
