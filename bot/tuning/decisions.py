"""Ops decides a tuning proposal: accept, shadow for two weeks, reject with a reason, roll back.

The same functions serve the Slack buttons and `python app.py tune accept|shadow|reject|rollback`.
From Slack only ops and admins may decide (`check_role=True`); the command line is the
operator's own. Each step is one guarded transition (a second click, a Slack retry or two people
at once change it once) and a row in the override log.

Accepting activates the proposal's version. When another version became active since the
proposal was made, its changes are applied on top of the active one instead (a new version,
whose parent the active one then is), so accepting one proposal never undoes another. Rolling
back returns to the parent when the proposal's version is still the active one; otherwise only
its own changes are reverted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.deps import Deps
from scoring.config import TriggerConfig
from scoring.learning.proposal_types import ConfigChange, ProposalKind, apply_changes
from storage.db import transaction
from storage.enums import ProposalState
from storage.models import TriggerConfig as ConfigRow
from storage.models import TuningProposal
from storage.repositories import configs, tuning, users

SHADOW_DAYS = 14
OPEN = (ProposalState.PROPOSED, ProposalState.SHADOWING)
NOT_OPS = "Only ops and admins decide trigger tuning. Ask someone with the ops role."
NO_SHADOW = (
    "A calibration moves every score, not one trigger's cards, so there is nothing to shadow: "
    "accept it (Roll back is one click) or reject it."
)


@dataclass(frozen=True, slots=True)
class TuningOutcome:
    ok: bool
    message: str
    proposal_id: int
    state: str = ""
    active_version: int | None = None


def accept(deps: Deps, *, proposal_id: int, actor: str, check_role: bool = True) -> TuningOutcome:
    now = deps.clock.now()
    with transaction(deps.session_factory) as session:
        row, refusal = _guard(session, proposal_id, actor, check_role)
        if row is None:
            return refusal
        version, base = _version_to_activate(session, row, actor, now)
        if not tuning.transition(session, proposal_id=row.id, allowed=OPEN, to=ProposalState.ACCEPTED,
                                 decided_by=actor, decided_at=now, config_version=version,
                                 parent_version=base):  # fmt: skip
            return _already(session, proposal_id)
        configs.activate(session, version=version)
        tuning.record_step(session, proposal=row, action="tune_accepted", actor=actor, now=now,
                           config_version=version)  # fmt: skip
    return TuningOutcome(True, f"Accepted by <@{actor}>: configuration v{version} is active; "
                               f"the next cycle uses it. {row.title}", proposal_id, "accepted", version)  # fmt: skip


def shadow(deps: Deps, *, proposal_id: int, actor: str, check_role: bool = True) -> TuningOutcome:
    now = deps.clock.now()
    until = now.date() + timedelta(days=SHADOW_DAYS)
    with transaction(deps.session_factory) as session:
        row, refusal = _guard(session, proposal_id, actor, check_role)
        if row is None:
            return refusal
        if row.kind == ProposalKind.CALIBRATION:
            return TuningOutcome(False, NO_SHADOW, proposal_id, row.state)
        if not tuning.transition(session, proposal_id=row.id, allowed=(ProposalState.PROPOSED,),
                                 to=ProposalState.SHADOWING, decided_by=actor, decided_at=now,
                                 shadow_until=until, shadow_report={"days": []}):  # fmt: skip
            return _already(session, proposal_id)
        tuning.record_step(session, proposal=row, action="tune_shadowed", actor=actor, now=now)
    return TuningOutcome(True, f"Shadowing until {until.isoformat()} (set by <@{actor}>): each cycle counts "
                               f"what v{row.config_version} would post, without posting it. {row.title}",
                         proposal_id, "shadowing")  # fmt: skip


def reject(
    deps: Deps, *, proposal_id: int, actor: str, reason: str, check_role: bool = True
) -> TuningOutcome:
    reason = reason.strip()
    if not reason:
        return TuningOutcome(False, "A rejection needs a reason (it teaches the next proposal).", proposal_id)
    now = deps.clock.now()
    with transaction(deps.session_factory) as session:
        row, refusal = _guard(session, proposal_id, actor, check_role)
        if row is None:
            return refusal
        if not tuning.transition(session, proposal_id=row.id, allowed=OPEN, to=ProposalState.REJECTED,
                                 decided_by=actor, decided_at=now, reason=reason[:2000]):  # fmt: skip
            return _already(session, proposal_id)
        tuning.record_step(session, proposal=row, action="tune_rejected", actor=actor, now=now, reason=reason)
    return TuningOutcome(True, f"Rejected by <@{actor}>: {reason}. {row.title}", proposal_id, "rejected")


def rollback(deps: Deps, *, proposal_id: int, actor: str, check_role: bool = True) -> TuningOutcome:
    now = deps.clock.now()
    with transaction(deps.session_factory) as session:
        row = tuning.get_proposal(session, proposal_id=proposal_id)
        if row is None:
            return TuningOutcome(False, f"No tuning proposal #{proposal_id}.", proposal_id)
        if check_role and not users.is_ops_or_admin(session, slack_id=actor):
            return TuningOutcome(False, NOT_OPS, proposal_id, row.state)
        if row.state != ProposalState.ACCEPTED:
            return TuningOutcome(False, f"Proposal #{proposal_id} is {row.state.replace('_', ' ')}: only an "
                                        "accepted proposal can be rolled back.", proposal_id, row.state)  # fmt: skip
        version = _version_after_rollback(session, row, actor, now)
        if not tuning.transition(session, proposal_id=row.id, allowed=(ProposalState.ACCEPTED,),
                                 to=ProposalState.ROLLED_BACK, rolled_back_by=actor, rolled_back_at=now):  # fmt: skip
            return _already(session, proposal_id)
        configs.activate(session, version=version)
        tuning.record_step(session, proposal=row, action="tune_rolled_back", actor=actor, now=now,
                           config_version=version)  # fmt: skip
    return TuningOutcome(True, f"Rolled back by <@{actor}>: configuration v{version} is active. {row.title}",
                         proposal_id, "rolled_back", version)  # fmt: skip


def _guard(session: Session, proposal_id: int, actor: str, check_role: bool) -> tuple[Any, TuningOutcome]:
    row = tuning.get_proposal(session, proposal_id=proposal_id)
    if row is None:
        return None, TuningOutcome(False, f"No tuning proposal #{proposal_id}.", proposal_id)
    if check_role and not users.is_ops_or_admin(session, slack_id=actor):
        return None, TuningOutcome(False, NOT_OPS, proposal_id, row.state)
    if row.state not in OPEN:
        return None, _already(session, proposal_id)
    return row, TuningOutcome(True, "", proposal_id, row.state)


def _already(session: Session, proposal_id: int) -> TuningOutcome:
    row = tuning.get_proposal(session, proposal_id=proposal_id)
    assert row is not None
    who = row.rolled_back_by or row.decided_by
    by = f" by <@{who}>" if who and who != "tandem" else ""
    return TuningOutcome(False, f"Already {row.state.replace('_', ' ')}{by}: nothing changed. {row.title}",
                         proposal_id, row.state)  # fmt: skip


def _changes(row: TuningProposal) -> list[ConfigChange]:
    return [
        ConfigChange(tuple(c["path"]), c["value"], c.get("op", "set"))
        for c in row.evidence.get("changes", [])
    ]


def _version_to_activate(session: Session, row: TuningProposal, actor: str, now: Any) -> tuple[int, int]:
    """(version, its parent): the proposal's own version, or, when the active one moved on since,
    its changes on top of the active one, which then becomes its parent (Roll back returns there,
    not to the version it was first made from, so it never undoes what was accepted meanwhile)."""
    active = configs.active_config(session)
    if active is None or active.version == row.parent_version:
        return row.config_version, row.parent_version
    body = apply_changes(active.body, _changes(row))
    TriggerConfig.model_validate(body)
    rebased = configs.create_config_version(
        session,
        body=body,
        author=actor,
        now=now,
        note=f"proposal #{row.id} on v{active.version}: {row.title}",
    )
    return rebased.version, active.version


def _version_after_rollback(session: Session, row: TuningProposal, actor: str, now: Any) -> int:
    active = configs.active_config(session)
    if active is None or active.version == row.config_version:
        return row.parent_version
    parent = session.get(ConfigRow, row.parent_version)
    assert parent is not None
    reverted = [ConfigChange(c.path, _at(parent.body, c.path), "set") for c in _changes(row)]
    body = apply_changes(active.body, reverted)
    TriggerConfig.model_validate(body)
    version = configs.create_config_version(
        session, body=body, author=actor, now=now, note=f"roll back proposal #{row.id} on v{active.version}"
    )
    return version.version


def _at(body: dict[str, Any], path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(body, dict) or part not in body:
            return None
        body = body[part]
    return body
