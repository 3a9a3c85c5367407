"""Shadow mode: a proposal runs beside the active configuration, posting nothing.

Each daily cycle re-plans the book under every shadowing proposal's configuration (the same
facts, scores and history, so cooldowns and holds act as they would) and records, for the
proposal's trigger and segment, how many cards the active version gave and how many the proposal
would have given, with the accounts on either side. When the shadow period ends, ops are told
once with the totals; the proposal stays open for Accept or Reject.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from bot.delivery.notices import alert_ops
from bot.deps import Deps
from bot.workflows.cycle_plan import AccountPlan
from scoring.config import TriggerConfig
from scoring.types import HealthResult
from storage.db import transaction
from storage.enums import ProposalState
from storage.models import TriggerConfig as ConfigRow
from storage.models import TuningProposal
from storage.repositories import accounts, tuning

log = logging.getLogger(__name__)


def cell_cards(
    plans: Sequence[AccountPlan], *, trigger: str, segment: str | None, segments: Mapping[str, str]
) -> set[str]:
    """Accounts whose card today leads with `trigger` (in `segment`, when the proposal has one)."""
    return {
        plan.account_id
        for plan in plans
        if plan.gets_card
        and plan.lead.trigger.value == trigger
        and (segment is None or segments.get(plan.account_id) == segment)
    }


def shadow_day(active: set[str], shadow: set[str], *, day: date) -> dict[str, Any]:
    return {
        "day": day.isoformat(),
        "active_cards": len(active),
        "shadow_cards": len(shadow),
        "only_active": sorted(active - shadow),  # cards the proposal would not have posted
        "only_shadow": sorted(shadow - active),  # cards only the proposal would have posted
    }


def shadow_totals(report: Mapping[str, Any]) -> dict[str, int]:
    days = report.get("days", [])
    return {
        "days": len(days),
        "active_cards": sum(d["active_cards"] for d in days),
        "shadow_cards": sum(d["shadow_cards"] for d in days),
        "removed": sum(len(d["only_active"]) for d in days),
        "added": sum(len(d["only_shadow"]) for d in days),
    }


def shadow_step(
    deps: Deps,
    *,
    as_of: date,
    results: list[HealthResult],
    previous: Mapping[str, int],
    plans: Sequence[AccountPlan],
) -> int:
    """Record today's shadow counts for every shadowing proposal; returns how many ran. A
    failure here is told to ops and never stops the cycle's own cards."""
    from bot.workflows.cycle import plan_book  # the cycle imports this module

    with deps.session_factory() as session:
        running = tuning.list_proposals(session, states=(ProposalState.SHADOWING,))
        labels = accounts.account_labels(session) if running else {}
        bodies = {row.id: _body(session, row) for row in running}
    segments = {account_id: segment for account_id, (_, segment) in labels.items()}
    ran = 0
    for row in running:
        try:
            config = TriggerConfig.model_validate(bodies[row.id])
            shadow_plans, _ = plan_book(deps, as_of=as_of, config=config, results=results, previous=previous)
            active = cell_cards(plans, trigger=row.trigger, segment=row.segment, segments=segments)
            shadow = cell_cards(shadow_plans, trigger=row.trigger, segment=row.segment, segments=segments)
            _record(deps, row, shadow_day(active, shadow, day=as_of), as_of)
            ran += 1
        except Exception as error:  # one broken shadow must not stop the cycle
            log.exception("shadow run of proposal %s failed", row.id)
            alert_ops(deps, key=f"tuning-shadow-failed:{row.id}:{as_of.isoformat()}",
                      text=f"Shadow run of tuning proposal #{row.id} failed on {as_of.isoformat()}: {error}")  # fmt: skip
    return ran


def _body(session: Any, row: TuningProposal) -> dict[str, Any]:
    version = session.get(ConfigRow, row.config_version)
    assert version is not None, f"proposal {row.id} names a missing configuration version"
    body: dict[str, Any] = version.body
    return body


def _record(deps: Deps, row: TuningProposal, day: dict[str, Any], as_of: date) -> None:
    ended = row.shadow_until is not None and as_of >= row.shadow_until
    now = deps.clock.now()
    with transaction(deps.session_factory) as session:
        fresh = tuning.get_proposal(session, proposal_id=row.id)
        if fresh is None or fresh.state != ProposalState.SHADOWING:
            return
        report = dict(fresh.shadow_report or {})
        days = [d for d in report.get("days", []) if d["day"] != day["day"]]  # a rerun of the day replaces it
        report["days"] = sorted([*days, day], key=lambda d: d["day"])
        first_end = ended and not report.get("ended")
        if first_end:
            report["ended"] = as_of.isoformat()
        fresh.shadow_report = report
        if first_end:
            tuning.record_step(session, proposal=fresh, action="tune_shadow_ended", actor="tandem", now=now)
    if first_end:
        totals = shadow_totals(report)
        alert_ops(
            deps,
            key=f"tuning-shadow-ended:{row.id}",
            text=(
                f"Shadow period ended for tuning proposal #{row.id}: {row.title}. Over {totals['days']} cycles "
                f"the active version posted {totals['active_cards']} {row.trigger} cards here and the proposal "
                f"would have posted {totals['shadow_cards']} ({totals['removed']} fewer, {totals['added']} new). "
                "Accept or reject it in the Trigger tuning message or with `python app.py tune accept|reject`."
            ),
        )
