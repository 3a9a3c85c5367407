"""`python app.py tune propose [--as-of DATE] [--json]`, and the weekly scheduled job.

Reads the override log as known on `as_of` (90 days), asks the pure learners for proposals
(thresholds per trigger × segment, routes per cell, watched phrases),
flags drift per cell, replays each proposal over the stored history, and stores it as an
inactive configuration version (parent, author, evidence) with a `tuning_proposals` row for ops
to decide. A proposal whose key already waits with the same change is not made again; one that
waits with a different change is superseded by the new one.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TextIO

from bot.deps import Deps
from bot.tuning.replay_words import replay_sentence
from bot.tuning.route_learning import route_and_phrase_proposals
from bot.workflows.cycle import active_trigger_config
from scoring.config import TriggerConfig, config_to_dict
from scoring.learning.drift import Drift, WeekCount, detect
from scoring.learning.labels import labels_from
from scoring.learning.noise import estimate_reviewer
from scoring.learning.proposal_types import Proposal, ProposalKind, apply_changes
from scoring.learning.replay import replay_threshold
from scoring.learning.replay_routes import replay_phrase, replay_route
from scoring.learning.thresholds import ThresholdRules, propose_thresholds
from scoring.learning.types import Action, Label
from scoring.types import TriggerKey
from storage.db import transaction
from storage.enums import ProposalState
from storage.models import TuningProposal
from storage.repositories import configs, learning, route_learning, tuning
from storage.repositories.replay_data import (
    load_churned,
    load_past_cards,
    load_replay_accounts,
    load_signal_routes,
)

WINDOW_DAYS = 90
DRIFT_WEEKS = 12
AUTHOR = "tandem"
CARD_DECISIONS = frozenset({Action.APPROVED, Action.EDITED, Action.TAKEN_OVER, Action.DISMISSED})


@dataclass(frozen=True, slots=True)
class DriftFlag:
    trigger: str
    segment: str
    drift: Drift

    @property
    def sentence(self) -> str:
        return self.drift.sentence(f"{self.trigger} × {self.segment}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger,
            "segment": self.segment,
            "since": self.drift.since.isoformat(),
            "before_rate": round(self.drift.before_rate, 4),
            "recent_rate": round(self.drift.recent_rate, 4),
            "p_value": round(self.drift.p_value, 6),
            "kind": self.drift.kind,
            "sentence": self.sentence,
        }


@dataclass(slots=True)
class ProposalRun:
    as_of: date
    parent_version: int
    made: list[TuningProposal] = field(default_factory=list)  # new rows this run
    unchanged: list[TuningProposal] = field(default_factory=list)  # already waiting, same change
    drift: list[DriftFlag] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # proposals whose body did not validate

    @property
    def waiting(self) -> list[TuningProposal]:
        return [*self.made, *self.unchanged]


def drift_flags(labels: Sequence[Label], *, as_of: date) -> list[DriftFlag]:
    """Cells whose weekly dismiss rate shifted in the last two weeks against the weeks before."""
    counts: dict[tuple[str, str], dict[date, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    since = as_of - timedelta(weeks=DRIFT_WEEKS)
    for label in labels:
        d = label.decision
        if d.action not in CARD_DECISIONS or d.is_audit or not d.trigger or label.day < since:
            continue
        cell = counts[(d.trigger, d.segment or "unknown")][label.week]
        cell[0] += d.action == Action.DISMISSED
        cell[1] += 1
    flags = []
    for (trigger, segment), weeks in sorted(counts.items()):
        found = detect([WeekCount(week, k, n) for week, (k, n) in weeks.items()])
        if found is not None:
            flags.append(DriftFlag(trigger, segment, found))
    return flags


def current_drift(deps: Deps, *, as_of: date) -> list[DriftFlag]:
    """The drift flags as known on `as_of` (the last DRIFT_WEEKS weeks of card decisions)."""
    _, config = active_trigger_config(deps)
    with deps.session_factory() as session:
        decisions = learning.load_decisions(session, since=as_of - timedelta(weeks=DRIFT_WEEKS), as_of=as_of)
    labels = labels_from(decisions, as_of=as_of, reply_window_days=config.learning.reply_window_days)
    return drift_flags(labels, as_of=as_of)


def run_proposals(
    deps: Deps, *, as_of: date, author: str = AUTHOR, progress: Callable[[int], None] | None = None
) -> ProposalRun:
    """`progress` is told of each proposal replayed over the stored history."""
    parent_version, config = active_trigger_config(deps)
    since = as_of - timedelta(days=WINDOW_DAYS)
    settings = config.learning
    with deps.session_factory() as session:
        decisions = learning.load_decisions(session, since=since, as_of=as_of)
        outcomes = learning.load_outcomes(session, since=as_of - timedelta(days=365), as_of=as_of)
        csms = len(learning.csm_ids(session))
        labels = labels_from(decisions, as_of=as_of, reply_window_days=settings.reply_window_days)
        reviewer = estimate_reviewer(
            labels, outcomes, sensitivity=settings.reviewer_sensitivity,
            specificity=settings.reviewer_specificity, prior_labels=settings.reviewer_prior_labels,
            horizon_days=settings.outcome_horizon_days, risk_triggers=settings.risk_triggers,
        )  # fmt: skip
        rules = ThresholdRules(sensitivity=reviewer.sensitivity, specificity=reviewer.specificity)
        proposals = propose_thresholds(labels, config=config, as_of=as_of, rules=rules)
        proposals += route_and_phrase_proposals(session, as_of=as_of, config=config)
        past_cards = load_past_cards(session, since=since, as_of=as_of)
        churned = load_churned(session, since=since, as_of=as_of)
    run = ProposalRun(as_of, parent_version, drift=drift_flags(labels, as_of=as_of))
    parent_body = config_to_dict(config)
    drifted = {(f.trigger, f.segment): f for f in run.drift}
    for proposal in proposals:
        body = apply_changes(parent_body, proposal.changes)
        try:
            proposed_config = TriggerConfig.model_validate(body)
        except ValueError as error:
            run.refused.append(f"{proposal.title}: {error}")
            continue
        replay = _replay(deps, proposal, config, proposed_config, past_cards, churned, since, as_of, csms)
        flag = drifted.get((proposal.trigger, proposal.segment or ""))
        _store(deps, run, proposal, body, replay, flag, author)
        if progress is not None:
            progress(1)
    return run


def _replay(
    deps: Deps,
    proposal: Proposal,
    parent: TriggerConfig,
    proposed: TriggerConfig,
    past_cards: Sequence[Any],
    churned: Sequence[Any],
    since: date,
    as_of: date,
    csms: int,
) -> dict[str, Any]:
    if proposal.kind is ProposalKind.ROUTE:
        with deps.session_factory() as session:
            decided = route_learning.load_route_decisions(session, since=since, as_of=as_of)
        return replay_route(proposal.changes[0].value, decided, since=since, as_of=as_of)
    if proposal.kind is ProposalKind.PHRASE:
        phrase = str(proposal.changes[0].value)
        with deps.session_factory() as session:
            tickets = route_learning.load_phrase_tickets(session, phrase=phrase, since=since, as_of=as_of)
            later = route_learning.take_over_and_churn_days(session, since=since, as_of=as_of)
        return replay_phrase(phrase, tickets, later, since=since, as_of=as_of)
    if proposal.segment is None:
        raise ValueError(f"a threshold proposal needs a segment: {proposal.key}")
    trigger = TriggerKey(proposal.trigger)
    lookback = since - timedelta(days=parent.triggers.health_drop.window_days + 3)
    with deps.session_factory() as session:
        accounts = load_replay_accounts(session, segment=proposal.segment, since=lookback, as_of=as_of)
        routes = load_signal_routes(session, trigger=proposal.trigger, segment=proposal.segment, since=since,
                                    as_of=as_of)  # fmt: skip
    result = replay_threshold(
        accounts, past_cards, churned, trigger=trigger, segment=proposal.segment, parent=parent,
        proposal=proposed, since=since, as_of=as_of, csms=csms, routes=routes,
    )  # fmt: skip
    return result.summary()


def _store(
    deps: Deps,
    run: ProposalRun,
    proposal: Proposal,
    body: dict[str, Any],
    replay: dict[str, Any],
    flag: DriftFlag | None,
    author: str,
) -> None:
    now = deps.clock.now()
    changes = [{"path": list(c.path), "value": c.value, "op": c.op} for c in proposal.changes]
    with transaction(deps.session_factory) as session:
        waiting = tuning.open_for_key(session, key=proposal.key)
        if waiting is not None and waiting.evidence.get("changes") == changes:
            run.unchanged.append(waiting)
            return
        if waiting is not None and waiting.state == ProposalState.PROPOSED:
            tuning.transition(session, proposal_id=waiting.id, allowed=(ProposalState.PROPOSED,),
                              to=ProposalState.SUPERSEDED)  # fmt: skip
        version = configs.create_config_version(
            session, body=body, author=author, now=now, note=f"proposal: {proposal.title}"
        )
        row = tuning.add_proposal(
            session, key=proposal.key, kind=proposal.kind.value, trigger=proposal.trigger,
            segment=proposal.segment, title=proposal.title, config_version=version.version,
            parent_version=run.parent_version, author=author,
            evidence={"sentences": list(proposal.evidence), "figures": proposal.figures, "changes": changes},
            replay=replay, drift=flag.as_dict() if flag else None, cycle_day=run.as_of, created_at=now,
        )  # fmt: skip
        tuning.record_step(session, proposal=row, action="tune_proposed", actor=author, now=now)
        session.flush()
        session.expunge(row)
    run.made.append(row)


def render_run(run: ProposalRun, *, as_json: bool) -> str:
    if as_json:
        return json.dumps(
            {
                "as_of": run.as_of.isoformat(),
                "parent_version": run.parent_version,
                "proposals": [proposal_dict(p) for p in run.waiting],
                "drift": [f.as_dict() for f in run.drift],
                "refused": run.refused,
            },
            indent=2,
        )
    lines = [f"Trigger tuning as of {run.as_of.isoformat()} (active configuration v{run.parent_version})"]
    if not run.waiting:
        lines.append("No proposals: nothing in the override log supports a change yet.")
    for row in run.waiting:
        lines += ["", *proposal_lines(row)]
    for flag in run.drift:
        lines.append(f"Drift: {flag.sentence}")
    lines += [f"Refused: {why}" for why in run.refused]
    return "\n".join(lines)


def proposal_dict(row: TuningProposal) -> dict[str, Any]:
    return {
        "id": row.id, "key": row.key, "kind": row.kind, "trigger": row.trigger, "segment": row.segment,
        "title": row.title, "state": row.state, "config_version": row.config_version,
        "parent_version": row.parent_version, "evidence": row.evidence, "replay": row.replay,
        "drift": row.drift, "cycle_day": row.cycle_day.isoformat(),
    }  # fmt: skip


def proposal_lines(row: TuningProposal) -> list[str]:
    replay = row.replay
    lines = [f"#{row.id} [{row.state}] {row.title}  (v{row.parent_version} → v{row.config_version})"]
    lines += [f"  {sentence}" for sentence in row.evidence.get("sentences", [])]
    sentence = replay_sentence(replay)
    if sentence:
        lines.append(f"  {sentence}")
    if row.drift:
        lines.append(f"  Drift: {row.drift['sentence']}")
    return lines


def tune_propose(deps: Deps, *, as_of: date, as_json: bool, out: TextIO) -> int:
    from bot.progress import track

    with track("tune propose: replays", unit="proposals") as progress:
        run = run_proposals(deps, as_of=as_of, progress=progress.advance)
    print(render_run(run, as_json=as_json), file=out)
    return 0
