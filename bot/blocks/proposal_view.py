"""A configuration proposal as the Slack surfaces show it (pure): its state, who decided what,
and the line saying so. Trigger tuning (`bot.blocks.tuning`) and calibration
(`bot.blocks.calibration`) render their groups from it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from slack_sdk.models.blocks import ButtonElement, ConfirmObject

from bot.blocks.mrkdwn import escape, slack_link
from bot.blocks.slack_dates import DATE_ONLY, slack_day, slack_time
from bot.ids import TuningAction

ROLLBACK_DAYS = 30  # an accepted proposal keeps its Roll back button this long


@dataclass(frozen=True)
class ProposalView:
    proposal_id: int
    title: str
    kind: str
    state: str  # storage.enums.ProposalState
    config_version: int
    parent_version: int
    sentences: tuple[str, ...] = ()
    replay: Mapping[str, Any] = field(default_factory=dict)
    drift: str | None = None  # the drift flag's sentence on its cell, if any
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    shadow_until: date | None = None
    rolled_back_by: str | None = None
    rolled_back_at: datetime | None = None
    can_roll_back: bool = False  # accepted, within ROLLBACK_DAYS
    evidence: Mapping[str, Any] = field(default_factory=dict)  # the stored evidence (figures, …)


def state_line(view: ProposalView) -> str | None:
    """Who decided what, or None while it waits untouched."""
    by = who(view.decided_by)
    on = f" on {slack_time(view.decided_at, DATE_ONLY)}" if view.decided_at else ""
    if view.state == "accepted":
        return f"✅ Accepted by {by}{on}: configuration v{view.config_version} became active."
    if view.state == "shadowing":
        until = slack_day(view.shadow_until) if view.shadow_until else "?"
        return f"👀 Shadowing until {until} (set by {by}{on}): each cycle counts what v{view.config_version} would post."
    if view.state == "rejected":
        return f"✋ Rejected by {by}{on}: {escape(view.reason or '')}"
    if view.state == "rolled_back":
        back = f" on {slack_time(view.rolled_back_at, DATE_ONLY)}" if view.rolled_back_at else ""
        return (
            f"↩️ Rolled back by {who(view.rolled_back_by)}{back}: v{view.parent_version}'s settings are back."
        )
    if view.state == "superseded":
        if view.kind == "calibration":
            return "A newer calibration took its place."
        return "A newer proposal for the same trigger and segment took its place."
    return None


def who(slack_id: str | None) -> str:
    """A mention of a Slack id Tandem stored (anything else is escaped text)."""
    return (slack_link(slack_id) or escape(slack_id)) if slack_id else "someone"


def rollback_button(value: str, what_returns: str) -> ButtonElement:
    """Roll back, behind a confirm saying which configuration becomes active again."""
    return ButtonElement(
        text="Roll back", action_id=TuningAction.ROLLBACK, value=value, style="danger",
        confirm=ConfirmObject(title="Roll back?", text=what_returns, confirm="Roll back", deny="Cancel"),
    )  # fmt: skip
