"""Export the override log from Slack: ops choose a period and filters in a modal, and Tandem
uploads the log as CSV (`files_upload_v2`) into their DM with the app.

The CSV is `python app.py overrides --format csv` for the same period and filters (the same
columns, bot.reports.overrides). Rows are streamed from the database into a temporary file a
batch at a time, so a large log is never held as Python objects; an upload Slack refuses is
logged and the requester told."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.blocks.ops_home import ANY, export_comment, export_modal
from bot.deps import Deps
from bot.ids import OpsExportModal
from bot.reports.overrides import write_override_csv
from bot.workflows.ops_home import NOT_OPS, filter_choices, may_use
from bot.workflows.refused import Refused
from bot.working_hours import zone_of
from storage.models import User
from storage.repositories.override_stats import OverrideFilters, stream_overrides

logger = logging.getLogger(__name__)

DEFAULT_DAYS = 30  # the modal's period: the last 30 days, today included
MAX_DAYS = 731  # two years, both ends included
NOT_OPS_EXPORT = "Only ops and admins can export the override log."


@dataclass(frozen=True)
class ExportRequest:
    start: date
    end: date  # included
    filters: OverrideFilters


@dataclass(frozen=True)
class Exported:
    rows: int
    channel: str
    file_id: str


def open_modal(deps: Deps, *, actor: str, filters: OverrideFilters) -> dict[str, Any] | Refused:
    """The Export modal, prefilled with the last 30 days (in the actor's zone) and `filters`."""
    with deps.session_factory() as session:
        user = session.get(User, actor)
        if not may_use(user):
            return Refused(NOT_OPS)
        assert user is not None
        today = deps.clock.now().astimezone(zone_of(user.timezone)).date()
        choices = filter_choices(session, every_action=True)
        return export_modal(
            start=today - timedelta(days=DEFAULT_DAYS - 1), end=today, filters=filters, choices=choices,
            zone=user.timezone or "UTC",
        )  # fmt: skip


def read_submission(deps: Deps, *, actor: str, state: dict[str, Any]) -> ExportRequest | dict[str, str]:
    """The request in a submitted modal, or Slack's `errors` (block id → what is wrong)."""
    values = state.get("values") if isinstance(state, dict) else None
    values = values if isinstance(values, dict) else {}

    def element(block: str, action: str) -> dict[str, Any]:
        found = values.get(block, {}).get(action) if isinstance(values.get(block), dict) else None
        return found if isinstance(found, dict) else {}

    with deps.session_factory() as session:
        user = session.get(User, actor)
        if not may_use(user):
            return {OpsExportModal.START_BLOCK: NOT_OPS_EXPORT}
        assert user is not None
        today = deps.clock.now().astimezone(zone_of(user.timezone)).date()
    start = _day(element(OpsExportModal.START_BLOCK, OpsExportModal.START_INPUT).get("selected_date"))
    end = _day(element(OpsExportModal.END_BLOCK, OpsExportModal.END_INPUT).get("selected_date"))
    errors = period_errors(start, end, today=today)
    if errors:
        return errors
    assert start is not None and end is not None

    def chosen(block: str, action: str) -> str | None:
        option = element(block, action).get("selected_option")
        value = option.get("value") if isinstance(option, dict) else None
        return value if isinstance(value, str) and value and value != ANY else None

    csm = element(OpsExportModal.CSM_BLOCK, OpsExportModal.CSM_INPUT).get("selected_user")
    filters = OverrideFilters(
        trigger=chosen(OpsExportModal.TRIGGER_BLOCK, OpsExportModal.TRIGGER_INPUT),
        segment=chosen(OpsExportModal.SEGMENT_BLOCK, OpsExportModal.SEGMENT_INPUT),
        csm=csm if isinstance(csm, str) and csm else None,
        action=chosen(OpsExportModal.ACTION_BLOCK, OpsExportModal.ACTION_INPUT),
    )
    return ExportRequest(start, end, filters)


def period_errors(start: date | None, end: date | None, *, today: date) -> dict[str, str]:
    """What is wrong with a period, by the modal block to show it under; empty when it is fine."""
    if start is None:
        return {OpsExportModal.START_BLOCK: "Choose the first day of the period."}
    if end is None:
        return {OpsExportModal.END_BLOCK: "Choose the last day of the period."}
    if end < start:
        return {
            OpsExportModal.END_BLOCK: f"The last day ({end.isoformat()}) is before the first day ({start.isoformat()})."
        }
    if start > today:
        return {
            OpsExportModal.START_BLOCK: f"The first day ({start.isoformat()}) is in the future: nothing is logged yet."
        }
    days = (end - start).days + 1
    if days > MAX_DAYS:
        return {
            OpsExportModal.START_BLOCK: f"The period is {days:,} days; an export covers at most two years "
            f"({MAX_DAYS} days). Choose a later first day, or export in parts."
        }
    return {}


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def export(deps: Deps, client: WebClient, *, actor: str, request: ExportRequest) -> Exported | Refused:
    """Write the CSV and upload it into the actor's DM; a failed upload is logged and Refused
    with the sentence the actor is told."""
    with deps.session_factory() as session:
        user = session.get(User, actor)
        if not may_use(user):
            return Refused(NOT_OPS)
        assert user is not None
        zone = zone_of(user.timezone)
        since = datetime.combine(request.start, time(), tzinfo=zone)
        until = datetime.combine(request.end + timedelta(days=1), time(), tzinfo=zone)
        with tempfile.TemporaryDirectory(prefix="tandem-export-") as folder:
            path = (
                Path(folder)
                / f"tandem-overrides-{request.start.isoformat()}-to-{request.end.isoformat()}.csv"
            )
            with path.open("w", encoding="utf-8", newline="") as out:
                rows = write_override_csv(
                    out, stream_overrides(session, since=since, until=until, filters=request.filters)
                )
            session.rollback()  # done reading: free the snapshot before talking to Slack
            try:
                return _upload(client, actor=actor, path=path, rows=rows, request=request)
            except (SlackApiError, SlackClientError, OSError) as error:
                logger.exception("override log export for %s failed", actor)
                detail = (
                    error.response.get("error") if isinstance(error, SlackApiError) else type(error).__name__
                )
                return Refused(
                    f"The override log export ({rows:,} rows) could not be uploaded to Slack ({detail}). "
                    "Nothing was shared; try Export again from App Home, or run "
                    "`python app.py overrides --format csv`."
                )


def _upload(client: WebClient, *, actor: str, path: Path, rows: int, request: ExportRequest) -> Exported:
    opened = client.conversations_open(users=actor)
    channel = str(opened["channel"]["id"])
    uploaded = client.files_upload_v2(
        channel=channel,
        file=str(path),
        filename=path.name,
        title=f"Override log {request.start.isoformat()} to {request.end.isoformat()}",
        initial_comment=export_comment(
            rows=rows, start=request.start, end=request.end, filters=request.filters
        ),
    )
    files = uploaded.get("files") or [uploaded.get("file") or {}]
    return Exported(rows=rows, channel=channel, file_id=str(files[0].get("id") or ""))
