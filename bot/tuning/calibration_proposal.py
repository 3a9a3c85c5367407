"""A calibration becomes a proposal for ops: stored beside the trigger-tuning proposals, told in
Slack once.

`propose_calibration` is called by `calibrate` after it stored the calibrated configuration as
an inactive version. It records a `calibration` proposal for that version (the report's figures
as evidence, and the sections the version changes against its parent, so that accepting it after
another version became active applies them on top of that one), supersedes a calibration still
waiting, and owes each ops and admin user one message with the reliability diagram in its thread
(`bot.delivery.calibration`), delivered like every notice: once, retried, or failed visibly.
Without a Slack token nothing is rendered: the message stays owed until `serve` delivers it.
Accept, Reject and Roll back are trigger tuning's own (`bot.tuning.decisions`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError

from bot.blocks.calibration import build_calibration_message
from bot.delivery.calibration import message_key
from bot.delivery.notices import deliver_notices, owe_notice
from bot.deps import Deps
from bot.tuning.calibration_evidence import (
    KEY,
    TRIGGER,
    calibration_changes,
    calibration_evidence,
    calibration_title,
)
from bot.tuning.proposal_view import proposal_view
from bot.workflows.tuning_message import deciders, refreshed_blocks
from scoring.learning.proposal_types import ProposalKind
from storage.db import transaction
from storage.enums import DeliveryKind, ProposalState
from storage.models import TriggerConfig as ConfigRow
from storage.repositories import deliveries, tuning

if TYPE_CHECKING:
    from scoring.signal_calibration import SignalCalibration

logger = logging.getLogger(__name__)
AUTHOR = "calibrate"


def propose_calibration(
    deps: Deps, *, report: SignalCalibration, proposed_version: int, parent_version: int
) -> int | None:
    """The proposal's id (the same one when this version was proposed already), or None when the
    report proposes nothing. Raises ValueError when either version is not stored."""
    if not report.proposed or report.model is None:
        return None
    if proposed_version == parent_version:
        raise ValueError(f"calibration: the proposed version is its own parent (v{proposed_version})")
    now = deps.clock.now()
    superseded: list[int] = []
    with transaction(deps.session_factory) as session:
        row = tuning.by_config_version(session, version=proposed_version)
        if row is None:
            proposed, parent = (
                session.get(ConfigRow, proposed_version),
                session.get(ConfigRow, parent_version),
            )
            if proposed is None or parent is None:
                missing = proposed_version if proposed is None else parent_version
                raise ValueError(f"calibration: no configuration v{missing} is stored")
            waiting = tuning.open_for_key(session, key=KEY)
            if waiting is not None and tuning.transition(
                session,
                proposal_id=waiting.id,
                allowed=(ProposalState.PROPOSED,),
                to=ProposalState.SUPERSEDED,
            ):
                superseded.append(waiting.id)
            changes = calibration_changes(parent.body, proposed.body)
            row = tuning.add_proposal(
                session, key=KEY, kind=ProposalKind.CALIBRATION.value, trigger=TRIGGER, segment=None,
                title=calibration_title(report), config_version=proposed_version, parent_version=parent_version,
                author=AUTHOR, evidence=calibration_evidence(report, changes), replay={}, drift=None,
                cycle_day=now.date(), created_at=now,
            )  # fmt: skip
            tuning.record_step(session, proposal=row, action="tune_proposed", actor=AUTHOR, now=now)
        text, blocks = build_calibration_message(proposal_view(row, now=now))
        recipients = deciders(session)
        if not recipients:
            logger.warning("calibration proposal #%s: no ops or admin user to tell", row.id)
        owe_notice(session, key=message_key(row.id), kind=DeliveryKind.CALIBRATION, recipients=recipients,
                   text=text, blocks=blocks, now=now)  # fmt: skip
        proposal_id = row.id
    if deps.poster.is_preview:  # no Slack: it stays owed (a terminal preview would mix into the report)
        return proposal_id
    deliver_notices(deps)
    for old in superseded:
        refresh_messages(deps, proposal_id=old)
    return proposal_id


def refresh_messages(deps: Deps, *, proposal_id: int) -> int:
    """Render every posted copy of a calibration's message again from its state (one superseded
    loses its buttons); returns how many were updated. A copy Slack no longer has is skipped."""
    with deps.session_factory() as session:
        copies = deliveries.sent_with_prefix(
            session, kind=DeliveryKind.CALIBRATION, prefix=message_key(proposal_id) + ":"
        )
    updated = 0
    for copy in copies:
        if not (copy.channel_id and copy.message_ts and copy.blocks):
            continue
        blocks = refreshed_blocks(deps, blocks=list(copy.blocks))
        try:
            deps.poster.update(channel=copy.channel_id, ts=copy.message_ts, text=copy.text, blocks=blocks)
        except SlackApiError as error:
            logger.warning(
                "calibration #%s: could not update the copy in %s: %s", proposal_id, copy.channel_id, error
            )
            continue
        updated += 1
    return updated
