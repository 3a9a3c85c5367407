"""Tuning proposals and their state machine: proposed → shadowing / accepted / rejected;
shadowing → accepted / rejected; accepted → rolled_back; proposed → superseded.

Every transition is one guarded UPDATE on the states the caller allows: a double click, a Slack
retry or two ops at once change a proposal once. Each step is also a row in the override log
(no account: it is about the configuration).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.enums import ProposalState
from storage.models import OverrideRecord, TuningProposal

OPEN_STATES = (ProposalState.PROPOSED.value, ProposalState.SHADOWING.value)


def add_proposal(session: Session, **fields: Any) -> TuningProposal:
    row = TuningProposal(state=ProposalState.PROPOSED.value, **fields)
    session.add(row)
    session.flush()
    return row


def get_proposal(session: Session, *, proposal_id: int) -> TuningProposal | None:
    return session.get(TuningProposal, proposal_id, populate_existing=True)


def open_for_key(session: Session, *, key: str) -> TuningProposal | None:
    """The proposal for `key` still waiting for ops (proposed or shadowing), if any."""
    return session.scalar(
        select(TuningProposal)
        .where(TuningProposal.key == key, TuningProposal.state.in_(OPEN_STATES))
        .order_by(TuningProposal.id.desc())
        .limit(1)
    )


def list_proposals(
    session: Session, *, states: Collection[str] | None = None, since: date | None = None
) -> list[TuningProposal]:
    query = select(TuningProposal).order_by(TuningProposal.id)
    if states is not None:
        query = query.where(TuningProposal.state.in_(list(states)))
    if since is not None:
        query = query.where(TuningProposal.cycle_day >= since)
    return list(session.scalars(query))


def by_config_version(session: Session, *, version: int) -> TuningProposal | None:
    return session.scalar(select(TuningProposal).where(TuningProposal.config_version == version))


def transition(
    session: Session, *, proposal_id: int, allowed: Collection[str], to: ProposalState, **values: Any
) -> bool:
    """Move the proposal to `to` if it is in one of `allowed`; False when it was not (decided
    already, by this person or another)."""
    result = session.execute(
        update(TuningProposal)
        .where(TuningProposal.id == proposal_id, TuningProposal.state.in_(list(allowed)))
        .values(state=to.value, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def record_step(
    session: Session,
    *,
    proposal: TuningProposal,
    action: str,
    actor: str,
    now: datetime,
    reason: str | None = None,
    config_version: int | None = None,
) -> OverrideRecord:
    """A tuning step in the override log (`tune_<what>`): the proposal's trigger, its kind as the
    route column, its title as the draft, and the configuration version it acted on."""
    record = OverrideRecord(
        account_id=None,
        trigger=proposal.trigger[:24],
        proposed_route=proposal.kind[:16],
        proposed_draft=proposal.title,
        action=action,
        reason=reason,
        actor_slack_id=actor[:32],
        at=now,
        seconds_to_decide=max(0.0, (now - proposal.created_at).total_seconds()),
        config_version=config_version if config_version is not None else proposal.config_version,
        segment=proposal.segment,
    )
    session.add(record)
    session.flush()
    return record


def accepted_since(session: Session, *, since: datetime) -> list[TuningProposal]:
    """Proposals accepted at or after `since` (those ops may still roll back in one click)."""
    return list(
        session.scalars(
            select(TuningProposal)
            .where(TuningProposal.state == ProposalState.ACCEPTED.value, TuningProposal.decided_at >= since)
            .order_by(TuningProposal.id)
        )
    )
