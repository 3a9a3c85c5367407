"""A simulated book and team for the learning benchmark: worlds, reviewers, and one run of a learner.

The world: accounts in three segments with a weekly health score (0-100). Healthy accounts sit
around `healthy_mean`; truly at-risk ones start near `at_risk_start` and decline every week; in
the volatile segment a share of healthy accounts are low by design (around `benign_low_mean`,
below the health_low line most weeks). Each week adds noise of the segment's spread.

A run is one learner over one world for `weeks` weeks, in a real Tandem database (a copy of a
migrated SQLite file): health_low fires below the segment's line (config.triggers.line), one
card per account and week, none within the 14-day cooldown after a card, none while an account
exception keeps it quiet (scoring.exceptions.apply_exceptions). Every card is written as a
Signal and an EscalationCard, every review as an OverrideRecord with the learning context
(trigger, segment, fired value, line, margin, propensity, cycle day, reason code, config
version, seconds to decide); audit cards below the line likewise (storage's audit rules: the
near misses of each CSM, at most one a week, propensity (1 - (1 - rate)^n) / n). The learner
reads nothing but that stored log: storage.repositories.learning.load_decisions, then
scoring.learning.labels.labels_from.

Reviewers are noisy and the same draws are used for every learner of a seed (common random
numbers), so the learners differ only in what they do.
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import insert

from scoring.config import TriggerConfig, config_to_dict, load_default_config
from scoring.exceptions import PastDecision, PastOutcome, apply_exceptions, offer_due
from scoring.learning.drift import WeekCount, detect
from scoring.learning.labels import labels_from
from scoring.learning.proposal_types import apply_changes
from scoring.learning.thresholds import ThresholdRules, propose_thresholds
from scoring.learning.types import Action, DismissCode, Label, LabelKind
from scoring.learning.weeks import week_of
from scoring.types import (
    AccountException,
    AccountFacts,
    AutomationHistory,
    Decision,
    Route,
    Segment,
    Signal,
    TriggerKey,
)
from storage.db import make_engine, make_session_factory, transaction
from storage.models import Account, EscalationCard, OverrideRecord, User
from storage.models import Signal as SignalRow
from storage.models import TriggerConfig as ConfigRow
from storage.repositories.learning import load_cards, load_decisions
from tests.support.sqlite_template import migrated_sqlite

SEGMENTS = ("smb", "mid_market", "enterprise")
START = date(2026, 1, 5)  # a Monday: week w's cycle day is START + 7w
HEALTH_LOW = TriggerKey.HEALTH_LOW
LEARNERS = ("none", "raw", "tandem")
# Parts of tandem, to see where its figures come from (not in the benchmark's table):
# exceptions alone; threshold proposals alone with loosening switched off (no audit evidence
# is ever enough), exceptions included.
VARIANTS = ("tandem_exceptions_only", "tandem_no_loosening")
NEVER = 10**9
APPROVALS = (Action.APPROVED, Action.EDITED, Action.TAKEN_OVER)


@dataclass(frozen=True)
class WorldParams:
    accounts: int = 2000
    weeks: int = 12
    csms: int = 20
    shares: tuple[float, float, float] = (0.60, 0.30, 0.10)  # smb, mid-market, enterprise
    at_risk_rates: tuple[float, float, float] = (0.10, 0.08, 0.06)
    benign_low_share: float = 0.12  # of the volatile segment's healthy accounts
    benign_low_mean: float = 52.0
    benign_low_sd: float = 4.0
    healthy_mean: float = 70.0
    healthy_sd: float = 8.0
    at_risk_start_mean: float = 55.0
    at_risk_start_sd: float = 4.0
    at_risk_slope: tuple[float, float] = (1.5, 3.0)  # points lost per week, uniform
    noise_sd: tuple[float, float, float] = (5.0, 3.0, 3.0)  # week-to-week spread per segment
    sensitivity: float = 0.90  # a truly at-risk card approved
    specificity: float = 0.85  # a benign card dismissed
    known_context_share: float = 0.80  # of benign dismissals
    at_risk_known_context_share: float = 0.0  # of wrongly dismissed at-risk cards (the issue: none)
    audit_rate: float = 0.05
    audit_band: int = 5
    cooldown_weeks: int = 2
    null: bool = False  # at-risk flags shuffled within each segment: the score says nothing
    volatility_change_week: int | None = None  # from this week the volatile segment's noise doubles


@dataclass
class World:
    segment: np.ndarray  # index into SEGMENTS
    at_risk: np.ndarray
    owner: np.ndarray  # index of the CSM
    scores: np.ndarray  # accounts x weeks, integers
    draws: dict[str, np.ndarray]  # accounts x weeks uniforms: the reviewers' and the audit's


def make_world(params: WorldParams, seed: int) -> World:
    rng = np.random.default_rng(seed)
    n = params.accounts
    counts = [round(n * s) for s in params.shares[:-1]]
    counts.append(n - sum(counts))
    segment = np.repeat(np.arange(3), counts)
    at_risk = np.zeros(n, dtype=bool)
    benign_low = np.zeros(n, dtype=bool)
    for s, count in enumerate(counts):
        members = np.flatnonzero(segment == s)
        risky = rng.choice(members, size=round(count * params.at_risk_rates[s]), replace=False)
        at_risk[risky] = True
        if s == 0:  # the volatile segment
            healthy = np.setdiff1d(members, risky)
            low = rng.choice(healthy, size=round(len(healthy) * params.benign_low_share), replace=False)
            benign_low[low] = True
    weeks = np.arange(params.weeks)
    level = rng.normal(params.healthy_mean, params.healthy_sd, n)
    level[benign_low] = rng.normal(params.benign_low_mean, params.benign_low_sd, benign_low.sum())
    mean = np.repeat(level[:, None], params.weeks, axis=1)
    start = rng.normal(params.at_risk_start_mean, params.at_risk_start_sd, at_risk.sum())
    slope = rng.uniform(*params.at_risk_slope, at_risk.sum())
    mean[at_risk] = start[:, None] - slope[:, None] * weeks[None, :]
    sd = np.asarray(params.noise_sd)[segment][:, None] * np.ones(params.weeks)
    if params.volatility_change_week is not None:
        sd[segment == 0, params.volatility_change_week :] *= 2
    scores = np.clip(np.rint(mean + rng.normal(0, 1, mean.shape) * sd), 0, 100).astype(int)
    if params.null:
        for s in range(3):
            members = np.flatnonzero(segment == s)
            at_risk[members] = rng.permutation(at_risk[members])
    owner = rng.integers(0, params.csms, n)
    names = ("review", "reason", "action", "audit", "seconds")
    draws = {name: rng.random((n, params.weeks)) for name in names}
    return World(segment, at_risk, owner, scores, draws)


def migrated_template(directory: Path) -> Path:
    """One migrated SQLite file (Tandem's own migrations); every run works on a copy of it."""
    return migrated_sqlite(directory / "template.db")


@dataclass
class RunResult:
    learner: str
    cards: list[int] = field(default_factory=list)  # fired cards per week
    true_cards: list[int] = field(default_factory=list)  # of them, on truly at-risk accounts
    audit_cards: list[int] = field(default_factory=list)
    proposals: list[tuple[int, str, str]] = field(default_factory=list)  # (week, direction, title)
    exceptions_set: int = 0
    lines: dict[str, float] = field(default_factory=dict)  # the final health_low line per segment
    config_changed: bool = False
    smb_counts: list[tuple[int, int]] = field(default_factory=list)  # (dismissed, cards), from the log
    drift_weeks: list[int] = field(default_factory=list)  # weeks at whose end drift was flagged
    cards_read_back: int = 0  # fired cards load_cards found in the database (audit cards have no signal)
    decisions_read_back: int = 0


def csm_id(index: int) -> str:
    return f"UCSM{index:03d}"


def account_id(index: int) -> str:
    return f"acct-{index:05d}"


class Run:
    """One learner over one world, writing to and learning from its own database file."""

    def __init__(self, params: WorldParams, world: World, learner: str, db_path: Path) -> None:
        if learner not in LEARNERS + VARIANTS:
            raise ValueError(f"unknown learner {learner!r}")
        self.params, self.world, self.learner = params, world, learner
        self.engine = make_engine(f"sqlite:///{db_path}")
        self.factory = make_session_factory(engine=self.engine)
        self.body: dict[str, Any] = config_to_dict(load_default_config())
        self.config = TriggerConfig.model_validate(self.body)
        self.version = 1
        self.ids = {"signal": 0, "card": 0, "override": 0}
        self.last_card_week = np.full(params.accounts, -99)
        self.exceptions: dict[int, AccountException] = {}
        self.exception_marks: dict[int, list[datetime]] = defaultdict(list)
        self.result = RunResult(learner)
        self.rules = {
            "raw": ThresholdRules(sensitivity=1.0, specificity=1.0),
            "tandem_no_loosening": ThresholdRules(min_audit_positives=NEVER),
        }.get(learner, ThresholdRules())
        self._seed_rows()

    def _seed_rows(self) -> None:
        p, w = self.params, self.world
        with transaction(self.factory) as session:
            session.execute(
                insert(User),
                [{"slack_id": csm_id(i), "name": f"CSM {i}", "role": "csm"} for i in range(p.csms)],
            )
            session.execute(
                insert(Account),
                [
                    {"account_id": account_id(i), "name": f"Account {i}", "segment": SEGMENTS[w.segment[i]],
                     "arr": 10_000.0, "owner_slack_id": csm_id(int(w.owner[i]))}
                    for i in range(p.accounts)
                ],
            )  # fmt: skip
            self._store_config(session, note="default")

    def _store_config(self, session: Any, *, note: str) -> None:
        at = datetime.combine(START, time(6), tzinfo=UTC)
        session.execute(
            insert(ConfigRow),
            [{"version": self.version, "body": self.body, "author": "bench", "created_at": at,
              "active": False, "note": note}],
        )  # fmt: skip

    def run(self) -> RunResult:
        for week in range(self.params.weeks):
            self.week(week)
        self.result.lines = {s: self.config.triggers.line(HEALTH_LOW, s) for s in SEGMENTS}
        with self.factory() as session:
            end = START + timedelta(weeks=self.params.weeks)
            self.result.cards_read_back = len(load_cards(session, since=START, as_of=end))
            self.result.decisions_read_back = len(load_decisions(session, since=START, as_of=end))
        self.engine.dispose()
        return self.result

    def week(self, week: int) -> None:
        day = START + timedelta(weeks=week)
        fired = self._fired(week, day)
        audited = self._audit(week, fired)
        with transaction(self.factory) as session:
            self._write(session, week, day, fired, audited)
        with self.factory() as session:
            labels = labels_from(load_decisions(session, since=START, as_of=day), as_of=day)
        self._drift(week, labels)
        if self.learner == "none" or week < 1:
            return
        if self.learner.startswith("tandem"):
            self._offer_exceptions(week, day, labels)
        if self.learner != "tandem_exceptions_only":
            self._learn(week, day, labels)

    def _fired(self, week: int, day: date) -> list[int]:
        w, p = self.world, self.params
        lines = np.array([self.config.triggers.line(HEALTH_LOW, s) for s in SEGMENTS])
        score = w.scores[:, week]
        below = score < lines[w.segment]
        cooling = self.last_card_week > week - p.cooldown_weeks
        fired = []
        for i in np.flatnonzero(~cooling & below | np.isin(np.arange(p.accounts), list(self.exceptions))):
            i = int(i)
            quiet = False
            if i in self.exceptions:
                quiet = self._excepted(i, day, int(score[i]), firing=bool(below[i] and not cooling[i]))
            if below[i] and not cooling[i] and not quiet:
                fired.append(i)
        return fired

    def _excepted(self, i: int, day: date, score: int, *, firing: bool) -> bool:
        """Whether account i's exception keeps today's card quiet (Tandem's own rules decide,
        and drop the exception when it lapses)."""
        exception = self.exceptions[i]
        facts = AccountFacts(
            account_id=account_id(i), name=f"Account {i}", segment=Segment(SEGMENTS[self.world.segment[i]]),
            arr=10_000.0, owner_slack_id=csm_id(int(self.world.owner[i])), renewal_date=None,
            history=AutomationHistory(exceptions=(exception,)),
        )  # fmt: skip
        decisions = (
            [Decision(Signal(account_id(i), HEALTH_LOW, "health low"), Route.ASSIST, ())] if firing else []
        )
        rules = self.config.guardrails.account_exceptions
        guarded, lapses = apply_exceptions(decisions, facts, score=score, as_of=day, rules=rules)
        if lapses:
            del self.exceptions[i]
        return bool(guarded) and guarded[0].suppressed

    def _audit(self, week: int, fired: list[int]) -> list[tuple[int, float]]:
        """Each CSM's near misses (line .. line + band - 1, not carded, not cooling down): the one
        with the smallest draw, when below the rate; its propensity as storage computes it."""
        w, p = self.world, self.params
        lines = np.array([self.config.triggers.line(HEALTH_LOW, s) for s in SEGMENTS])[w.segment]
        score = w.scores[:, week]
        near = (
            (score >= lines)
            & (score < lines + p.audit_band)
            & (self.last_card_week <= week - p.cooldown_weeks)
        )
        near[fired] = False
        near[list(self.exceptions)] = False
        chosen = []
        for csm in range(p.csms):
            mine = np.flatnonzero(near & (w.owner == csm))
            if len(mine) == 0:
                continue
            best = int(mine[np.argmin(w.draws["audit"][mine, week])])
            if w.draws["audit"][best, week] < p.audit_rate:
                chosen.append((best, (1 - (1 - p.audit_rate) ** len(mine)) / len(mine)))
        return chosen

    def _review(self, i: int, week: int) -> tuple[bool, str | None]:
        """(approved, dismissal reason) for a card on account i this week."""
        w, p = self.world, self.params
        u, reason_u = w.draws["review"][i, week], w.draws["reason"][i, week]
        if w.at_risk[i]:
            if u < p.sensitivity:
                return True, None
            known = reason_u < p.at_risk_known_context_share
        else:
            if u >= p.specificity:
                return True, None
            known = reason_u < p.known_context_share
        return False, DismissCode.KNOWN_CONTEXT if known else DismissCode.FALSE_POSITIVE

    def _write(
        self, session: Any, week: int, day: date, fired: list[int], audited: list[tuple[int, float]]
    ) -> None:
        w, result = self.world, self.result
        signals, cards, overrides = [], [], []
        posted = datetime.combine(day, time(8), tzinfo=UTC)
        for i, propensity in [(i, 1.0) for i in fired] + audited:
            audit = propensity < 1.0
            segment = SEGMENTS[w.segment[i]]
            line = self.config.triggers.line(HEALTH_LOW, segment)
            value = float(w.scores[i, week])
            approved, reason = self._review(i, week)
            seconds = 20 + 400 * float(w.draws["seconds"][i, week])
            decided = posted + timedelta(seconds=3600 + seconds)
            owner = csm_id(int(w.owner[i]))
            if audit:
                action = Action.WORTH_A_LOOK if approved else Action.NOT_NEEDED
            else:
                action = APPROVALS[int(w.draws["action"][i, week] * 3)] if approved else Action.DISMISSED
            signal_id = None
            if not audit:
                self.ids["signal"] += 1
                signal_id = self.ids["signal"]
                signals.append({
                    "id": signal_id, "account_id": account_id(i), "trigger": HEALTH_LOW.value, "as_of": day,
                    "fired_at": posted, "summary": f"Health {int(value)}", "details": {"score": int(value)},
                    "route": Route.ASSIST.value, "reasons": {"codes": [], "sentences": []},
                    "config_version": self.version,
                })  # fmt: skip
            self.ids["card"] += 1
            cards.append({
                "id": self.ids["card"], "signal_id": signal_id, "account_id": account_id(i),
                "state": action.value, "recipient_slack_id": owner, "created_at": posted, "posted_at": posted,
                "decided_at": decided, "decided_by": owner, "dismiss_reason": reason,
                "kind": "audit" if audit else "fired", "propensity": propensity if audit else None,
                "audit_key": f"{owner}:{day.isocalendar().year}-W{day.isocalendar().week:02d}" if audit else None,
                "audit": {"trigger": HEALTH_LOW.value, "value": value, "threshold": line} if audit else None,
            })  # fmt: skip
            self.ids["override"] += 1
            overrides.append({
                "id": self.ids["override"], "card_id": self.ids["card"], "account_id": account_id(i),
                "trigger": HEALTH_LOW.value, "proposed_route": "audit" if audit else Route.ASSIST.value,
                "action": action.value, "reason_code": reason, "actor_slack_id": owner, "at": decided,
                "seconds_to_decide": seconds, "config_version": self.version, "signal_id": signal_id,
                "cycle_day": day, "segment": segment, "fired_value": value, "threshold": line,
                "margin": line - value, "propensity": propensity,
            })  # fmt: skip
            if not audit:
                self.last_card_week[i] = week
        if signals:
            session.execute(insert(SignalRow), signals)
        if cards:
            session.execute(insert(EscalationCard), cards)
        if overrides:
            session.execute(insert(OverrideRecord), overrides)
        result.cards.append(len(fired))
        result.true_cards.append(int(w.at_risk[fired].sum()) if fired else 0)
        result.audit_cards.append(len(audited))

    def _drift(self, week: int, labels: list[Label]) -> None:
        """The SMB health_low cell's weekly (dismissed, cards), read back from the stored log."""
        counts: dict[date, list[int]] = defaultdict(lambda: [0, 0])
        for label in labels:
            d = label.decision
            if d.trigger == HEALTH_LOW.value and d.segment == "smb" and not d.is_audit:
                counts[label.week][1] += 1
                counts[label.week][0] += d.action == Action.DISMISSED
        this = counts.get(week_of(START + timedelta(weeks=week)), [0, 0])
        self.result.smb_counts.append((this[0], this[1]))
        weeks = [WeekCount(monday, dismissed, cards) for monday, (dismissed, cards) in counts.items()]
        if detect(weeks) is not None:
            self.result.drift_weeks.append(week)

    def _offer_exceptions(self, week: int, day: date, labels: list[Label]) -> None:
        """Offers due after this week's known-context dismissals, accepted by the owner: the
        trigger is quiet on the account for quiet_days unless it gets worse."""
        rules = self.config.guardrails.account_exceptions
        history: dict[int, list[PastDecision]] = defaultdict(list)
        latest: dict[int, datetime] = {}
        for label in labels:
            d = label.decision
            if d.trigger != HEALTH_LOW.value or d.is_audit:
                continue
            i = int(d.account_id.split("-")[1])
            outcome = {
                LabelKind.EXCEPTION_CANDIDATE: PastOutcome.KNOWN_CONTEXT,
                LabelKind.WORTH_A_PERSON: PastOutcome.APPROVED,
            }.get(label.kind, PastOutcome.OTHER_DISMISSAL)
            history[i].append(
                PastDecision(d.decided_at, outcome, by_owner=d.actor == csm_id(int(self.world.owner[i])))
            )
            if label.kind is LabelKind.EXCEPTION_CANDIDATE and d.day == day:
                latest[i] = d.decided_at
        for i, now in latest.items():
            if i in self.exceptions:
                continue
            past = history[i] + [PastDecision(at, PastOutcome.EXCEPTION) for at in self.exception_marks[i]]
            if offer_due(past, now=now, rules=rules):
                set_on = day + timedelta(days=1)
                self.exceptions[i] = AccountException(
                    exception_id=self.result.exceptions_set + 1,
                    trigger=HEALTH_LOW, set_by=csm_id(int(self.world.owner[i])), set_on=set_on,
                    expires_on=set_on + timedelta(days=rules.quiet_days),
                    baseline_score=int(self.world.scores[i, week]),
                )  # fmt: skip
                self.exception_marks[i].append(now)
                self.result.exceptions_set += 1

    def _learn(self, week: int, day: date, labels: list[Label]) -> None:
        proposals = propose_thresholds(labels, config=self.config, as_of=day, rules=self.rules)
        if not proposals:
            return
        for proposal in proposals:
            self.body = apply_changes(self.body, proposal.changes)
            self.result.proposals.append((week, str(proposal.figures.get("direction", "")), proposal.title))
        self.config = TriggerConfig.model_validate(self.body)
        self.version += 1
        self.result.config_changed = True
        with transaction(self.factory) as session:
            self._store_config(session, note="; ".join(p.title for p in proposals))


def run_learner(params: WorldParams, seed: int, learner: str, template: Path, workdir: Path) -> RunResult:
    """One learner over the world of `seed`, in a fresh copy of the migrated database."""
    path = workdir / f"{learner}-{seed}-{'null' if params.null else params.volatility_change_week}.db"
    shutil.copyfile(template, path)
    try:
        return Run(params, make_world(params, seed), learner, path).run()
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def holdout_recall(params: WorldParams, seed: int, lines: dict[str, float], within_weeks: int = 4) -> float:
    """Share of a fresh world's truly at-risk accounts that get a card within `within_weeks`
    under these lines (no exceptions; the cooldown cannot delay a first card)."""
    world = make_world(params, seed)
    line = np.array([lines[s] for s in SEGMENTS])[world.segment]
    carded = (world.scores[:, :within_weeks] < line[:, None]).any(axis=1)
    return float(carded[world.at_risk].mean())
