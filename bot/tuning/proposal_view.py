"""A stored proposal as the Slack surfaces show it: `ProposalView` from a `TuningProposal` row,
with Roll back offered for ROLLBACK_DAYS after an accept."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.blocks.proposal_view import ROLLBACK_DAYS, ProposalView
from storage.enums import ProposalState
from storage.models import TuningProposal


def proposal_view(row: TuningProposal, *, now: datetime) -> ProposalView:
    drift = (row.drift or {}).get("sentence")
    decided_at = row.decided_at
    recent = decided_at is not None and decided_at >= now - timedelta(days=ROLLBACK_DAYS)
    return ProposalView(
        proposal_id=row.id, title=row.title, kind=row.kind, state=row.state,
        config_version=row.config_version, parent_version=row.parent_version,
        sentences=tuple(str(s) for s in row.evidence.get("sentences", [])), replay=dict(row.replay or {}),
        drift=str(drift) if drift else None, decided_by=row.decided_by, decided_at=decided_at,
        reason=row.reason, shadow_until=row.shadow_until, rolled_back_by=row.rolled_back_by,
        rolled_back_at=row.rolled_back_at, can_roll_back=row.state == ProposalState.ACCEPTED and recent,
        evidence=dict(row.evidence or {}),
    )  # fmt: skip
