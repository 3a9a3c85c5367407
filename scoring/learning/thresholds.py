"""Threshold proposals per trigger × segment (pure): tighten where cards are noise, loosen only
on audit evidence.

The reviewer's observation of a fired card is approve (approve, edit, take over) against
"not needed" (dismissed as a false positive or as known context: both say the card was not worth
a person's time; known context also makes the account an exception candidate). Wrong timing and
already handled say nothing about the line and are left out. Reviewers err (sensitivity Se,
specificity Sp), so the true positives in any set of N labelled cards with A approvals are
estimated by Rogan–Gladen, N·p with p = (A/N − (1 − Sp)) / (Se + Sp − 1), clipped to [0, 1].

**Tightening.** Candidate lines are the fired values themselves, from the least severe. For each,
the cards it would remove form one set R and those it keeps form K. Estimated recall retention
is the share of the worthwhile cards still reached: a card in R counts as reached when its
account crosses the new line within `recall_within_days` (28) of it (a later, more alarming card
of the same account: the person still hears of the account, a little later), so retention is
1 − TP(R not reached) / TP(all); the proposal is the strictest line where

- retention ≥ `min_recall` (0.99) and its bootstrap lower bound (5th percentile) ≥ `recall_floor` (0.95),
- P(precision of K > precision now) ≥ `min_p_better` (0.9) over the bootstrap, and
- the removed cards were approved less often than the kept ones, by a one-sided Fisher test at
  `max_p_value` divided by the candidates tried (so a world where the value says nothing about
  worth proposes nothing),

with at least `min_labels` labels over at least `min_weeks` distinct weeks in the cell. Only
cards that would still fire at today's line count (older, looser lines' cards are left out).

**Loosening** never comes from dismissals (they exist only where the line fired). Audit cards
below the line, weighted by 1/propensity, estimate the positives the line misses: when the
audit's "worth a look" answers (at least `min_audit_positives`, on distinct accounts) put
estimated recall below `recall_floor`, the value is informative (the more alarming half of the
fired cards was approved more often than the other half, one-sided Fisher test) and the near
misses are worth a person's time at least `loosen_min_share` as often as the fired cards (their
approval rate at its Wilson lower bound, corrected for reviewer error), the line moves out to
the least severe audited positive.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from scipy import stats
from sklearn.isotonic import isotonic_regression

from scoring.config import FIRES_ABOVE, THRESHOLD_TRIGGERS, TriggerConfig
from scoring.learning.intervals import wilson
from scoring.learning.proposal_types import ConfigChange, Proposal, ProposalKind
from scoring.learning.types import Action, DismissCode, Label, LabelKind
from scoring.types import TriggerKey

POSITIVE_ACTIONS = frozenset({Action.APPROVED, Action.EDITED, Action.TAKEN_OVER})
NEGATIVE_REASONS = frozenset({DismissCode.FALSE_POSITIVE, DismissCode.KNOWN_CONTEXT})
INTEGER_LINES = frozenset({TriggerKey.HEALTH_LOW, TriggerKey.EXPANSION_READY})
SEGMENT_WORDS = {
    "enterprise": "enterprise",
    "mid_market": "mid-market",
    "smb": "SMB",
    "self_serve": "self-serve",
}


@dataclass(frozen=True, slots=True)
class ThresholdRules:
    window_days: int = 90
    min_labels: int = 30
    min_weeks: int = 2
    min_recall: float = 0.99
    recall_floor: float = 0.95
    min_p_better: float = 0.90
    max_p_value: float = 0.05
    bootstrap: int = 400
    min_audit_positives: int = 3
    # A worthwhile card still counts as reached at a stricter line when its account crosses that
    # line within this many days (a later, more alarming card of the same account); 0: card by card.
    recall_within_days: int = 28
    loosen_min_share: float = 0.5  # near misses worth it at least this share as often as fired cards
    sensitivity: float = 0.90
    specificity: float = 0.85


@dataclass(frozen=True, slots=True)
class Observed:
    """One labelled card of a cell: its value in the trigger's units and what the reviewer said."""

    value: float
    approved: bool
    week: date
    account_id: str
    day: date | None = None  # the cycle day it came from


def fires(trigger: TriggerKey, value: float, line: float) -> bool:
    """Whether `value` crosses `line`, exactly as scoring.triggers decides it."""
    if trigger is TriggerKey.HEALTH_LOW:
        return value < line
    if trigger is TriggerKey.EXPANSION_READY:
        return value > line
    return value >= line - 1e-9


def severity(trigger: TriggerKey, value: float) -> float:
    """Larger is further past any line (more alarming)."""
    return value if FIRES_ABOVE[trigger] else -value


def observation(label: Label) -> bool | None:
    """True: approved; False: not needed; None: says nothing about the line."""
    d = label.decision
    if d.action in POSITIVE_ACTIONS:
        return True
    if d.action == Action.DISMISSED and d.reason_code in NEGATIVE_REASONS:
        return False
    return None


def true_positives(approved: np.ndarray, weights: np.ndarray, se: float, sp: float) -> float:
    """Rogan–Gladen: the expected truly worthwhile cards among these labelled ones."""
    total = float(weights.sum())
    if total <= 0:
        return 0.0
    rate = float((approved * weights).sum()) / total
    return total * min(1.0, max(0.0, (rate - (1 - sp)) / (se + sp - 1)))


def propose_thresholds(
    labels: Sequence[Label], *, config: TriggerConfig, as_of: date, rules: ThresholdRules | None = None
) -> list[Proposal]:
    """Every cell's proposal, tightening or loosening, sorted by trigger and segment."""
    rules = rules or ThresholdRules()
    since = as_of - timedelta(days=rules.window_days)
    fired: dict[tuple[TriggerKey, str], list[Observed]] = defaultdict(list)
    audited: dict[tuple[TriggerKey, str], list[tuple[Observed, float]]] = defaultdict(list)
    for label in labels:
        d = label.decision
        said = observation(label)
        if d.trigger not in THRESHOLD_TRIGGERS or d.fired_value is None or not d.segment:
            continue
        if not since <= label.day <= as_of:
            continue
        trigger = TriggerKey(d.trigger)
        if d.is_audit:
            if label.kind in (LabelKind.WORTH_A_PERSON, LabelKind.NOISE):
                seen = Observed(
                    d.fired_value, label.kind is LabelKind.WORTH_A_PERSON, label.week, d.account_id
                )
                audited[(trigger, d.segment)].append((seen, label.weight))
        elif said is not None:
            fired[(trigger, d.segment)].append(
                Observed(d.fired_value, said, label.week, d.account_id, label.day)
            )
    proposals = []
    for key in sorted(set(fired) | set(audited)):
        trigger, segment = key
        line = config.triggers.line(trigger, segment)
        current = [o for o in fired.get(key, []) if fires(trigger, o.value, line)]
        found = _tighten(trigger, segment, line, current, rules) or _loosen(
            trigger, segment, line, current, audited.get(key, []), rules
        )
        if found is not None:
            proposals.append(found)
    return proposals


def _tighten(
    trigger: TriggerKey, segment: str, line: float, cell: list[Observed], rules: ThresholdRules
) -> Proposal | None:
    weeks = {o.week for o in cell}
    if len(cell) < rules.min_labels or len(weeks) < rules.min_weeks:
        return None
    # Distinct values, least severe first; a candidate line removes a prefix of them.
    distinct = sorted({o.value for o in cell}, key=lambda v: severity(trigger, v))
    if len(distinct) < 2:
        return None
    index = {value: at for at, value in enumerate(distinct)}
    where = np.array([index[o.value] for o in cell])
    reach = _reach(trigger, cell, index, rules.recall_within_days)
    approved = np.array([o.approved for o in cell], dtype=float)
    se, sp = rules.sensitivity, rules.specificity
    rng = np.random.default_rng(_seed(trigger, segment, len(cell)))
    samples = [np.arange(len(cell)), *rng.integers(0, len(cell), size=(rules.bootstrap, len(cell)))]
    # Per sample (the first is the data itself): cumulative cards and estimated true positives
    # removed by each prefix of values.
    removed_tp, lost_tp, removed_n, totals_tp = [], [], [], []
    for sample in samples:
        counts = np.bincount(where[sample], minlength=len(distinct)).astype(float)
        yes = np.bincount(where[sample], weights=approved[sample], minlength=len(distinct))
        worth = _positives_by_value(yes, counts, se, sp)
        per_card = np.divide(worth, counts, out=np.zeros_like(worth), where=counts > 0)[where[sample]]
        removed_tp.append(np.cumsum(worth))
        # Lost at line j: worthwhile cards whose account no longer crosses it within the window.
        lost_tp.append(np.cumsum(np.bincount(reach[sample], weights=per_card, minlength=len(distinct))))
        removed_n.append(np.cumsum(counts))
        totals_tp.append(worth.sum())
    cum_tp, cum_lost = np.array(removed_tp), np.array(lost_tp)
    cum_n, total_tp = np.array(removed_n), np.array(totals_tp)
    n = float(len(cell))
    chosen = None
    candidates = len(distinct) - 1
    for j in range(candidates):  # remove distinct[0..j]
        gone = int(cum_n[0, j])
        if n - gone < rules.min_labels // 2:
            break
        safe_total = np.where(total_tp > 0, total_tp, 1.0)
        recalls = np.where(total_tp > 0, 1 - cum_lost[:, j] / safe_total, 1.0)
        kept_precision = (total_tp - cum_tp[:, j]) / np.maximum(n - cum_n[:, j], 1)
        now_precision = total_tp / n
        figures = {
            "recall": float(recalls[0]),
            "recall_low": float(np.percentile(recalls[1:], 5)),
            "precision_after": float(kept_precision[0]),
            "p_better": float(np.mean((kept_precision > now_precision)[1:])),
        }
        removed = where <= j
        if (
            figures["recall"] >= rules.min_recall
            and figures["recall_low"] >= rules.recall_floor
            and figures["p_better"] >= rules.min_p_better
            and _removed_less_approved(approved, removed, rules.max_p_value / candidates)
        ):
            chosen = (_line_removing(trigger, distinct, j), gone, figures)
    if chosen is None:
        return None
    new_line, gone, figures = chosen
    precision_now = float(total_tp[0] / n)
    return _proposal(
        trigger, segment, line, new_line, "tighten",
        evidence=(
            f"{len(cell)} labelled cards over {len(weeks)} weeks; reviewers approved "
            f"{int(approved.sum())} (corrected for reviewer error, {precision_now:.0%} were worth a person's time).",
            f"At the new line {gone} of them would not have fired; estimated recall {figures['recall']:.1%} "
            f"(bootstrap low {figures['recall_low']:.1%}); precision {precision_now:.0%} → {figures['precision_after']:.0%} "
            f"(P better {figures['p_better']:.0%}).",
        ),
        figures={
            "labels": len(cell), "weeks": len(weeks), "removed": gone, "kept": len(cell) - gone,
            "precision_now": round(precision_now, 4), **{k: round(v, 4) for k, v in figures.items()},
        },
    )  # fmt: skip


def _reach(
    trigger: TriggerKey, cell: list[Observed], index: dict[float, int], within_days: int
) -> np.ndarray:
    """Per card, the index (in `distinct`, least alarming first) of the most alarming value its
    account showed from the card's day to `within_days` later, the card itself included."""
    by_account: dict[str, list[Observed]] = defaultdict(list)
    for o in cell:
        by_account[o.account_id].append(o)
    reach = []
    for o in cell:
        best = index[o.value]
        if within_days > 0 and o.day is not None:
            for other in by_account[o.account_id]:
                if other.day is not None and 0 <= (other.day - o.day).days <= within_days:
                    best = max(best, index[other.value])
        reach.append(best)
    return np.array(reach)


def _positives_by_value(yes: np.ndarray, counts: np.ndarray, se: float, sp: float) -> np.ndarray:
    """Estimated truly worthwhile cards at each value (least severe first): the approval rate is
    fitted non-decreasing in severity (isotonic), so lone values borrow from their neighbours and
    one lucky approval in a band of noise is not read as a cluster of positives, then corrected
    for reviewer error value by value."""
    seen = counts > 0
    rate = np.zeros_like(counts)
    if seen.any():
        rate[seen] = isotonic_regression(
            yes[seen] / counts[seen], sample_weight=counts[seen], increasing=True
        )
    return counts * np.clip((rate - (1 - sp)) / (se + sp - 1), 0.0, 1.0)


def _line_removing(trigger: TriggerKey, distinct: list[float], j: int) -> float:
    """The line at which values distinct[0..j] no longer fire and distinct[j+1] still does."""
    if trigger is TriggerKey.HEALTH_LOW or trigger is TriggerKey.EXPANSION_READY:
        return float(distinct[j])  # below v / above v: v itself no longer fires
    return float(distinct[j + 1])  # at or above the next value


def _removed_less_approved(approved: np.ndarray, removed: np.ndarray, alpha: float) -> bool:
    return _approved_more(approved[~removed], approved[removed], alpha)


def _approved_more(first: np.ndarray, second: np.ndarray, alpha: float) -> bool:
    """Whether the first group's approvals (1/0) outnumber the second's in share (one-sided Fisher)."""
    table = [
        [int(first.sum()), int(len(first) - first.sum())],
        [int(second.sum()), int(len(second) - second.sum())],
    ]
    _, p_value = stats.fisher_exact(table, alternative="greater")
    return bool(p_value < alpha)


def _loosen(
    trigger: TriggerKey,
    segment: str,
    line: float,
    cell: list[Observed],
    audited: list[tuple[Observed, float]],
    rules: ThresholdRules,
) -> Proposal | None:
    positives = [(o, w) for o, w in audited if o.approved and not fires(trigger, o.value, line)]
    if len({o.account_id for o, _ in positives}) < rules.min_audit_positives or len(cell) < rules.min_labels:
        return None
    if len({o.week for o, _ in audited}) < rules.min_weeks:
        return None
    approved = np.array([o.approved for o in cell], dtype=float)
    caught = true_positives(approved, np.ones(len(cell)), rules.sensitivity, rules.specificity)
    # Audit answers are corrected like any review; each stands for 1/propensity near misses.
    audit_approved = np.array([o.approved for o, _ in audited], dtype=float)
    weights = np.array([w for _, w in audited])
    missed = true_positives(audit_approved, weights, rules.sensitivity, rules.specificity)
    recall = caught / (caught + missed) if caught + missed > 0 else 1.0
    if recall >= rules.recall_floor:
        return None
    # Moving the line out only helps when the value says something about worth (the fired cards
    # further past the line are approved more often) and the near misses are worth a person's
    # time about as often as the cards already fired. Where the value says nothing (positives
    # spread evenly over it), low recall is no reason to post more cards of the same precision.
    # Run every week over every cell, this test would find a gradient in noise now and then at
    # 0.05 (and at 0.01: 2 loosenings in 20 null worlds of the benchmark): it asks for 0.001.
    if not _informative(trigger, cell, rules.max_p_value / 50):
        return None
    # A handful of audit answers is noisy (reviewers call 15% of benign near misses worth a
    # look): the near misses' precision is taken at its Wilson lower bound before correction.
    low, _ = wilson(float((audit_approved * weights).sum()) / float(weights.mean()), len(audited))
    band_precision = min(
        1.0, max(0.0, (low - (1 - rules.specificity)) / (rules.sensitivity + rules.specificity - 1))
    )
    fired_precision = caught / len(cell)
    if band_precision < rules.loosen_min_share * fired_precision:
        return None
    outermost = min((o.value for o, _ in positives), key=lambda v: severity(trigger, v))
    if trigger is TriggerKey.HEALTH_LOW:
        new_line = outermost + 1
    elif trigger is TriggerKey.EXPANSION_READY:
        new_line = outermost - 1
    else:
        new_line = outermost
    return _proposal(
        trigger, segment, line, new_line, "loosen",
        evidence=(
            f"{len(audited)} audit cards below the line: {len(positives)} near misses were worth a look "
            f"(each stands for about {weights.mean():.0f} not shown).",
            f"Estimated recall at today's line {recall:.0%}: below the floor of {rules.recall_floor:.0%}.",
        ),
        figures={"audit_cards": len(audited), "audit_positives": len(positives), "recall": round(recall, 4),
                 "labels": len(cell)},
    )  # fmt: skip


def _informative(trigger: TriggerKey, cell: list[Observed], alpha: float) -> bool:
    """Whether the more alarming half of the fired cards was approved more often than the less
    alarming half (a one-sided Fisher test)."""
    order = sorted(cell, key=lambda o: severity(trigger, o.value))
    half = len(order) // 2
    approved = np.array([o.approved for o in order], dtype=float)
    return _approved_more(approved[half:], approved[:half], alpha)


def _proposal(
    trigger: TriggerKey,
    segment: str,
    line: float,
    new_line: float,
    direction: str,
    *,
    evidence: tuple[str, ...],
    figures: dict[str, object],
) -> Proposal:
    value: float | int = int(new_line) if trigger in INTEGER_LINES else round(float(new_line), 4)
    shown = _shown(trigger, value)
    words = SEGMENT_WORDS.get(segment, segment)
    title = (
        f"{direction.capitalize()} {trigger.value} for {words}: fires {shown} (now {_shown(trigger, line)})"
    )
    return Proposal(
        kind=ProposalKind.THRESHOLD,
        key=f"threshold:{trigger.value}:{segment}",
        title=title,
        trigger=trigger.value,
        segment=segment,
        changes=(ConfigChange(("triggers", "segment_lines", segment, trigger.value), value),),
        evidence=evidence,
        figures={"direction": direction, "line_now": line, "line_proposed": value, **figures},
    )


def _shown(trigger: TriggerKey, line: float) -> str:
    if trigger is TriggerKey.HEALTH_LOW:
        return f"below {int(line)}"
    if trigger is TriggerKey.EXPANSION_READY:
        return f"above {int(line)}"
    return f"at {line:.0%} or more"


def _seed(trigger: TriggerKey, segment: str, n: int) -> int:
    """The bootstrap's seed: the same proposal on every run over the same labels."""
    return int.from_bytes(hashlib.sha256(f"{trigger.value}|{segment}|{n}".encode()).digest()[:4], "big")
