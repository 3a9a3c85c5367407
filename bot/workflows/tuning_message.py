"""The weekly *Trigger tuning* message: proposals owed to every ops and admin user once, and the
views the handlers and App Home render from the proposals' current state.

`weekly_tuning` runs the learners (`bot.tuning.propose.run_proposals`), owes the message and
delivers it like every notice (claimed, posted once, retried, failed visibly). The delivery key
is a digest of the waiting proposals' ids and the drifted cells, so a rerun that finds nothing
new owes nothing, while a new proposal or a new drift flag owes a new message.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.blocks.proposal_view import ROLLBACK_DAYS, ProposalView
from bot.blocks.tuning import build_tuning_message, proposal_group, refresh_groups
from bot.delivery.notices import deliver_notices, owe_notice
from bot.deps import Deps
from bot.tuning.decisions import NOT_OPS
from bot.tuning.proposal_view import proposal_view
from bot.tuning.propose import AUTHOR, ProposalRun, current_drift, run_proposals
from storage.db import transaction
from storage.enums import DeliveryKind, ProposalState, Role
from storage.repositories import accounts, deliveries, tuning, users

logger = logging.getLogger(__name__)
DECIDERS = (Role.OPS, Role.ADMIN)


@dataclass(frozen=True)
class TuningOwed:
    key: str | None  # None: nothing waiting and no drift, so nothing owed
    recipients: int


def message_key(run: ProposalRun) -> str | None:
    """ "tuning:<digest>" of the waiting proposals and the drifted cells; None when both are empty."""
    ids = sorted(row.id for row in run.waiting)
    cells = sorted(f"{f.trigger}×{f.segment}@{f.drift.since.isoformat()}" for f in run.drift)
    if not ids and not cells:
        return None
    digest = hashlib.sha256(("|".join(map(str, ids)) + "#" + "|".join(cells)).encode()).hexdigest()[:24]
    return f"tuning:{digest}"


def owe_tuning_message(deps: Deps, run: ProposalRun) -> TuningOwed:
    """Owe the run's message to every ops and admin user, once per message and person."""
    key = message_key(run)
    if key is None:
        return TuningOwed(None, 0)
    now = deps.clock.now()
    proposed = {(row.trigger, row.segment or "") for row in run.waiting}
    loose = [f.sentence for f in run.drift if (f.trigger, f.segment) not in proposed]
    with transaction(deps.session_factory) as session:
        views = _views(session, [row.id for row in run.waiting], now=now)
        views += [
            v
            for v in recently_accepted(session, now=now)
            if v.proposal_id not in {w.proposal_id for w in views}
        ]
        text, blocks = build_tuning_message(views, drift=loose, as_of=run.as_of)
        recipients = deciders(session)
        if not recipients:
            logger.warning("trigger tuning as of %s: no ops or admin user to tell", run.as_of)
        owe_notice(session, key=key, kind=DeliveryKind.TUNING, recipients=recipients, text=text,
                   blocks=blocks, now=now)  # fmt: skip
    return TuningOwed(key, len(recipients))


def weekly_tuning(deps: Deps, *, as_of: date) -> TuningOwed:
    """The scheduler's weekly job: propose, owe the message to ops, deliver it."""
    run = run_proposals(deps, as_of=as_of)
    owed = owe_tuning_message(deps, run)
    deliver_notices(deps)
    return owed


def drift_watch(deps: Deps, *, as_of: date) -> TuningOwed | None:
    """Between Mondays: a cell whose dismiss rate drifted re-runs the proposals and tells ops
    (the message's key includes the drifted cells, so the same flag is told once). None when
    nothing drifted."""
    if not current_drift(deps, as_of=as_of):
        return None
    return weekly_tuning(deps, as_of=as_of)


def deciders(session: Session) -> list[str]:
    """Every ops and admin user: each of them may decide."""
    return sorted({user.slack_id for role in DECIDERS for user in users.list_users(session, role=role)})


def recently_accepted(session: Session, *, now: datetime) -> list[ProposalView]:
    rows = tuning.accepted_since(session, since=now - timedelta(days=ROLLBACK_DAYS))
    return [proposal_view(row, now=now) for row in rows]


def home_views(session: Session, *, now: datetime) -> list[ProposalView]:
    """App Home's section for ops: the proposals waiting (proposed, shadowing), then accepted ones
    that can still be rolled back."""
    open_states = (ProposalState.PROPOSED.value, ProposalState.SHADOWING.value)
    waiting = tuning.list_proposals(session, states=open_states)
    return [proposal_view(row, now=now) for row in waiting] + recently_accepted(session, now=now)


def view_of(deps: Deps, *, proposal_id: int) -> ProposalView | None:
    with deps.session_factory() as session:
        row = tuning.get_proposal(session, proposal_id=proposal_id)
        return proposal_view(row, now=deps.clock.now()) if row is not None else None


def refusal(deps: Deps, *, proposal_id: int, actor: str, deciding: bool) -> str | None:
    """Why `actor` may not open this proposal's Reject (`deciding`) or Details modal; None: they may."""
    with deps.session_factory() as session:
        row = tuning.get_proposal(session, proposal_id=proposal_id)
        if row is None:
            return f"No tuning proposal #{proposal_id}."
        if not users.is_ops_or_admin(session, slack_id=actor):
            return NOT_OPS
        if deciding and row.state not in (ProposalState.PROPOSED, ProposalState.SHADOWING):
            who = row.rolled_back_by or row.decided_by
            by = f" by <@{who}>" if who and who != AUTHOR else ""
            return f"Already {row.state.replace('_', ' ')}{by}: nothing changed. {row.title}"
    return None


def account_names(deps: Deps, *, view: ProposalView) -> dict[str, str]:
    wanted = {str(c.get("account_id")) for c in view.replay.get("removed", [])}
    if not wanted:
        return {}
    with deps.session_factory() as session:
        labels = accounts.account_labels(session)
    return {account_id: labels[account_id][0] for account_id in wanted if account_id in labels}


def refreshed_blocks(deps: Deps, *, blocks: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """A message's blocks with every proposal group rendered again from its current state."""
    now = deps.clock.now()
    with deps.session_factory() as session:

        def render(proposal_id: int) -> list[dict[str, Any]] | None:
            row = tuning.get_proposal(session, proposal_id=proposal_id)
            return proposal_group(proposal_view(row, now=now)) if row is not None else None

        return refresh_groups(blocks, render)


def posted_blocks(deps: Deps, *, channel: str, ts: str) -> list[dict[str, Any]] | None:
    """The blocks Tandem stored for the message it posted at (channel, ts), if it was a delivery."""
    with deps.session_factory() as session:
        row = deliveries.posted_at(session, channel_id=channel, message_ts=ts)
        return list(row.blocks or []) if row is not None else None


def _views(session: Session, ids: Sequence[int], *, now: datetime) -> list[ProposalView]:
    views = []
    for proposal_id in ids:
        row = tuning.get_proposal(session, proposal_id=proposal_id)
        if row is not None:
            views.append(proposal_view(row, now=now))
    return views
