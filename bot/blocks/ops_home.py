"""Ops' override-log section of App Home and the Export modal.

The section: a title naming the period and the filters, the four filters and Export in one
actions block, then one section per trigger (its segments as lines), capped, so the section
stays a dozen blocks however large the book (Slack allows 100 in the whole Home tab)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks.mrkdwn import escape, slack_link, truncate
from bot.blocks.slack_dates import slack_day
from bot.ids import OpsExportModal, OpsHomeAction, OpsHomeBlock
from bot.reports.override_summary import (
    SegmentSummary,
    TriggerSummary,
    human_duration,
    percent,
    reason_label,
)
from storage.enums import DECISION_ACTIONS
from storage.repositories.override_stats import OverrideFilters

ANY = "*"  # the "any" option's value in every filter
TITLE = "Decisions in the last 30 days"
TRIGGERS_SHOWN = 8  # one section block each
SEGMENTS_SHOWN = 6  # lines in a trigger's section
OPTIONS_LIMIT = 100  # Slack's limit for a static_select
SECTION_LIMIT = 3000
ACTION_LABELS = {"approved": "approve", "edited": "edit", "taken_over": "take over", "dismissed": "dismiss"}


@dataclass(frozen=True)
class FilterChoices:
    """What each static_select offers (a chosen value is always among them)."""

    triggers: Sequence[str]
    segments: Sequence[str]
    actions: Sequence[str]


@dataclass(frozen=True)
class OpsHomeView:
    summaries: Sequence[TriggerSummary]
    filters: OverrideFilters
    choices: FilterChoices


def words(value: str) -> str:
    return value.replace("_", " ")


def ops_home_section(view: OpsHomeView) -> list[dict[str, Any]]:
    cards = sum(s.cards for s in view.summaries)
    head = f"*{TITLE}*: {cards} card{'s' if cards != 1 else ''} decided\n{filters_line(view.filters)}"
    blocks: list[dict[str, Any]] = [SectionBlock(text=MarkdownTextObject(text=head)).to_dict()]
    blocks.append(filter_actions(view).to_dict())
    for summary in view.summaries[:TRIGGERS_SHOWN]:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=trigger_text(summary))).to_dict())
    hidden = len(view.summaries) - TRIGGERS_SHOWN
    if hidden > 0:
        note = (
            f"…and {hidden} more trigger{'s' if hidden != 1 else ''}: choose one with the filter, or export."
        )
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=note)]).to_dict())
    if not view.summaries:
        empty = "No decisions match these filters." if not view.filters.empty else "No decisions yet."
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=empty)]).to_dict())
    return blocks


def filters_line(filters: OverrideFilters) -> str:
    if filters.empty:
        return "_All triggers, segments, CSMs and decisions._"
    parts = []
    if filters.trigger:
        parts.append(f"trigger `{escape(filters.trigger)}`")
    if filters.segment:
        parts.append(f"segment {escape(words(filters.segment))}")
    if filters.csm:
        parts.append(f"CSM {slack_link(filters.csm) or escape(filters.csm)}")
    if filters.action:
        parts.append(f"action {escape(words(filters.action))}")
    return "_Filtered: " + " · ".join(parts) + "_"


def trigger_text(summary: TriggerSummary) -> str:
    head = f"*{escape(words(summary.trigger))}*: {summary.cards} card{'s' if summary.cards != 1 else ''}"
    if summary.trips:
        head += f" · :zap: {summary.trips} circuit-breaker trip{'s' if summary.trips != 1 else ''}"
    lines = [head, *(segment_line(segment) for segment in summary.segments[:SEGMENTS_SHOWN])]
    hidden = len(summary.segments) - SEGMENTS_SHOWN
    if hidden > 0:
        lines.append(f"…and {hidden} more segment{'s' if hidden != 1 else ''}")
    return truncate("\n".join(lines), SECTION_LIMIT)


def segment_line(segment: SegmentSummary) -> str:
    rates = " · ".join(
        f"{ACTION_LABELS[action]} {percent(segment.rate(action))}" for action in DECISION_ACTIONS
    )
    line = f"• {escape(words(segment.segment))}, {segment.cards}: {rates}"
    if segment.dismiss_reasons:
        reasons = ", ".join(
            f"{escape(reason_label(code))} {count}" for code, count in segment.dismiss_reasons
        )
        line += f" (dismissed: {reasons})"
    return line + f" · median {human_duration(segment.median_seconds)} to decide"


def _option(value: str, label: str) -> Option:
    return Option(value=value[:150], text=label[:75])


def _select(
    action_id: str, placeholder: str, any_label: str, values: Sequence[str], chosen: str | None
) -> StaticSelectElement:
    listed = list(dict.fromkeys([*values, *([chosen] if chosen else [])]))[: OPTIONS_LIMIT - 1]
    options = [_option(ANY, any_label), *(_option(value, words(value)) for value in listed)]
    initial = next((o for o in options if chosen and o.value == chosen), None)
    return StaticSelectElement(
        action_id=action_id, placeholder=placeholder, options=options, initial_option=initial
    )


def filter_actions(view: OpsHomeView) -> ActionsBlock:
    filters, choices = view.filters, view.choices
    elements: list[Any] = [
        _select(OpsHomeAction.FILTER_TRIGGER, "Trigger", "Any trigger", choices.triggers, filters.trigger),
        _select(OpsHomeAction.FILTER_SEGMENT, "Segment", "Any segment", choices.segments, filters.segment),
        UserSelectElement(action_id=OpsHomeAction.FILTER_CSM, placeholder="CSM", initial_user=filters.csm),
        _select(OpsHomeAction.FILTER_ACTION, "Decision", "Any decision", choices.actions, filters.action),
    ]
    if not filters.empty:
        elements.append(ButtonElement(text="Clear filters", action_id=OpsHomeAction.CLEAR, value="clear"))
    elements.append(ButtonElement(text="Export CSV…", action_id=OpsHomeAction.EXPORT, value="export"))
    return ActionsBlock(block_id=OpsHomeBlock.FILTERS, elements=elements)


def export_modal(
    *, start: date, end: date, filters: OverrideFilters, choices: FilterChoices, zone: str
) -> dict[str, Any]:
    """Choose a period (both days included, in `zone`) and filters; the CSV lands in the DM."""

    def optional_select(
        block: str, action: str, label: str, any_label: str, values: Sequence[str], chosen: str | None
    ) -> InputBlock:
        return InputBlock(
            block_id=block, label=label, optional=True,
            element=_select(action, label, any_label, values, chosen),
        )  # fmt: skip

    blocks = [
        InputBlock(
            block_id=OpsExportModal.START_BLOCK,
            label="First day",
            element=DatePickerElement(action_id=OpsExportModal.START_INPUT, initial_date=start.isoformat()),
            hint=f"Days run midnight to midnight in your time zone ({zone}).",
        ),
        InputBlock(
            block_id=OpsExportModal.END_BLOCK,
            label="Last day (included)",
            element=DatePickerElement(action_id=OpsExportModal.END_INPUT, initial_date=end.isoformat()),
        ),
        optional_select(
            OpsExportModal.TRIGGER_BLOCK,
            OpsExportModal.TRIGGER_INPUT,
            "Trigger",
            "Any trigger",
            choices.triggers,
            filters.trigger,
        ),
        optional_select(
            OpsExportModal.SEGMENT_BLOCK,
            OpsExportModal.SEGMENT_INPUT,
            "Segment",
            "Any segment",
            choices.segments,
            filters.segment,
        ),
        InputBlock(
            block_id=OpsExportModal.CSM_BLOCK,
            label="CSM (rows on their accounts)",
            optional=True,
            element=UserSelectElement(
                action_id=OpsExportModal.CSM_INPUT, placeholder="Anyone", initial_user=filters.csm
            ),
        ),
        optional_select(
            OpsExportModal.ACTION_BLOCK,
            OpsExportModal.ACTION_INPUT,
            "Action",
            "Any action",
            choices.actions,
            filters.action,
        ),
    ]
    view = View(
        type="modal",
        callback_id=OpsExportModal.CALLBACK,
        title="Export override log",
        submit="Export CSV",
        close="Cancel",
        blocks=blocks,
    )
    return view.to_dict()


def export_comment(*, rows: int, start: date, end: date, filters: OverrideFilters) -> str:
    """The message beside the uploaded CSV."""
    shown = "" if filters.empty else "\n" + filters_line(filters)
    return (
        f"The override log from {slack_day(start)} to {slack_day(end)}: {rows:,} row{'s' if rows != 1 else ''}, "
        f"the columns of `python app.py overrides --format csv`.{shown}"
    )
