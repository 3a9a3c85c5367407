"""Benchmark: does learning from the stored override log make cards better? (issue 12, item 11)

A simulated team (tests/benchmarks/learning_world.py) drives Tandem's own learning code through
a real Tandem database: every week health_low cards are written as signals, cards and
override-log rows with the learning context, and the learner reads them back with
storage.repositories.learning.load_decisions and scoring.learning.labels.labels_from only.

The learners:
- none: never changes anything (the default line of 60 in every segment);
- raw: approvals taken at face value: the same scoring.learning.thresholds.propose_thresholds
  with ThresholdRules(sensitivity=1.0, specificity=1.0) (so no correction for reviewer error),
  every proposal applied, and no account exceptions;
- tandem: propose_thresholds with the default reviewer accuracy (0.90 / 0.85), run at the end of
  every week from the second on (lines change from week 2), each proposal applied to the
  configuration body with apply_changes as if ops accepted it; plus account exceptions offered
  by scoring.exceptions.offer_due and accepted by the owner, quieting health_low on the account
  for 90 days unless scoring.exceptions.apply_exceptions lapses them (the score 8 points worse).

Printed per learner (weeks are numbered from 0):
- precision in weeks 4-7: the share of fired cards on truly at-risk accounts, pooled over those
  weeks, and its ratio to the none learner's in the same seed (mean and worst seed);
- fired cards per CSM per week over weeks 4-11 and the change against none (audit cards, at
  most one per CSM per week, are shown apart);
- hold-out recall: the learner's final lines (no exceptions) applied to a fresh world from
  another seed: the share of its truly at-risk accounts with a card within 4 weeks;
- proposals made in a null world (at-risk flags shuffled within each segment, so the score
  says nothing about worth);
- with --parts, tandem's parts too: its account exceptions alone (tandem_exceptions_only), and
  tandem with loosening switched off (tandem_no_loosening: ThresholdRules(min_audit_positives=10**9),
  so audit answers never loosen a line; tightening and exceptions as in tandem);
- drift: in a world where SMB's week-to-week spread doubles from week 6, the weeks of changed
  data after which scoring.learning.drift.detect first flags the SMB health_low cell (weekly
  dismissed and fired cards read back from the stored log), and how many flags came before
  week 6 (false alarms).
Not part of the test suite; no timed assertions.

    python tests/benchmarks/bench_learning.py [--seeds 20] [--weeks 12] [--accounts 2000] [--jobs 2] [--quick] [--parts]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.learning_world import (
    LEARNERS,
    VARIANTS,
    RunResult,
    WorldParams,
    holdout_recall,
    migrated_template,
    run_learner,
)

DRIFT_WEEK = 6
HOLDOUT_OFFSET = 10_000  # the hold-out world of seed s is the world of seed s + this
PRECISION_WEEKS = (4, 8)
WORKLOAD_WEEKS = (4, 12)


@dataclass(frozen=True)
class Task:
    scenario: str  # main, null, drift
    learner: str
    seed: int
    params: WorldParams
    template: Path
    workdir: Path


def _run(task: Task) -> tuple[str, str, int, RunResult]:
    return (
        task.scenario,
        task.learner,
        task.seed,
        run_learner(task.params, task.seed, task.learner, task.template, task.workdir),
    )


def _share(numerator: list[int], denominator: list[int], weeks: tuple[int, int]) -> float:
    total = sum(denominator[weeks[0] : weeks[1]])
    return sum(numerator[weeks[0] : weeks[1]]) / total if total else 0.0


def _per_csm_week(
    result: RunResult, params: WorldParams, weeks: tuple[int, int], audit: bool = False
) -> float:
    counts = result.audit_cards if audit else result.cards
    span = counts[weeks[0] : weeks[1]]
    return sum(span) / params.csms / max(len(span), 1)


def run_all(
    params: WorldParams, seeds: list[int], jobs: int, learners: tuple[str, ...] = LEARNERS
) -> dict[tuple[str, str, int], RunResult]:
    with tempfile.TemporaryDirectory(prefix="bench-learning-") as directory:
        workdir = Path(directory)
        template = migrated_template(workdir)
        scenarios = {
            "main": params,
            "null": replace(params, null=True),
            "drift": replace(params, volatility_change_week=DRIFT_WEEK),
        }
        tasks = [
            Task(name, learner, seed, world, template, workdir)
            for seed in seeds
            for name, world in scenarios.items()
            for learner in learners
            if not (name == "null" and learner == "none")
            and not (name == "drift" and params.weeks <= DRIFT_WEEK)
        ]
        if jobs <= 1:
            done = [_run(task) for task in tasks]
        else:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                done = list(pool.map(_run, tasks))
    return {(scenario, learner, seed): result for scenario, learner, seed, result in done}


@dataclass
class Figures:
    precision: dict[str, list[float]]
    ratio: dict[str, list[float]]
    workload: dict[str, list[float]]
    audit_workload: dict[str, list[float]]
    workload_change: dict[str, list[float]]
    recall: dict[str, list[float]]
    null_proposals: dict[str, list[tuple[int, int]]]  # (tighten, loosen) per seed
    drift_weeks: dict[str, list[int | None]]
    false_alarms: dict[str, list[int]]
    exceptions: dict[str, list[int]]
    final_lines: dict[str, list[dict[str, float]]]


def measure(
    results: dict[tuple[str, str, int], RunResult],
    params: WorldParams,
    seeds: list[int],
    learners: tuple[str, ...] = LEARNERS,
) -> Figures:
    f = Figures(*({learner: [] for learner in learners} for _ in range(11)))  # type: ignore[arg-type]
    for seed in seeds:
        none = results[("main", "none", seed)]
        none_precision = _share(none.true_cards, none.cards, PRECISION_WEEKS)
        none_load = _per_csm_week(none, params, WORKLOAD_WEEKS)
        for learner in learners:
            main = results[("main", learner, seed)]
            precision = _share(main.true_cards, main.cards, PRECISION_WEEKS)
            load = _per_csm_week(main, params, WORKLOAD_WEEKS)
            f.precision[learner].append(precision)
            f.ratio[learner].append(precision / none_precision if none_precision else float("nan"))
            f.workload[learner].append(load)
            f.audit_workload[learner].append(_per_csm_week(main, params, WORKLOAD_WEEKS, audit=True))
            f.workload_change[learner].append(load / none_load - 1 if none_load else float("nan"))
            f.recall[learner].append(holdout_recall(params, seed + HOLDOUT_OFFSET, main.lines))
            f.exceptions[learner].append(main.exceptions_set)
            f.final_lines[learner].append(main.lines)
            null = results.get(("null", learner, seed))
            directions = [d for _, d, _ in null.proposals] if null else []
            f.null_proposals[learner].append((directions.count("tighten"), directions.count("loosen")))
            drift = results.get(("drift", learner, seed))
            if drift is not None:
                flagged = [w for w in drift.drift_weeks if w >= DRIFT_WEEK]
                f.drift_weeks[learner].append(flagged[0] - DRIFT_WEEK + 1 if flagged else None)
                f.false_alarms[learner].append(sum(w < DRIFT_WEEK for w in drift.drift_weeks))
    return f


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def report(f: Figures, params: WorldParams, seeds: list[int], seconds: float) -> None:
    learners = tuple(f.precision)
    n = len(seeds)
    print(
        f"\n{params.accounts} accounts, {params.csms} CSMs, {params.weeks} weeks, {n} seeds "
        f"({min(seeds)}..{max(seeds)}); reviewers Se {params.sensitivity} Sp {params.specificity}; "
        f"audit {params.audit_rate:.0%}; {seconds:.0f} s\n"
    )
    header = (
        "| learner | precision wk 4-7 | × none (mean, worst) | cards/CSM/wk (4-11) | vs none | audit/CSM/wk "
        "| hold-out recall 4 wk (mean, worst, seeds ≥ 0.95) | null world: tighten / loosen | drift flagged after "
        "(weeks; median, worst, never) | false alarms before wk 6 | exceptions set |"
    )
    print(header)
    print("|" + " --- |" * 11)
    for learner in learners:
        recall = f.recall[learner]
        good = sum(r >= 0.95 for r in recall)
        tighten = sum(t for t, _ in f.null_proposals[learner])
        loosen = sum(loo for _, loo in f.null_proposals[learner])
        flags = [w for w in f.drift_weeks[learner] if w is not None]
        never = sum(w is None for w in f.drift_weeks[learner])
        drift = f"{statistics.median(flags):.0f}, {max(flags)}, {never}" if flags else f"—, —, {never}"
        print(
            f"| {learner} | {_mean(f.precision[learner]):.3f} | ×{_mean(f.ratio[learner]):.2f}, "
            f"×{min(f.ratio[learner]):.2f} | {_mean(f.workload[learner]):.1f} | "
            f"{_mean(f.workload_change[learner]):+.0%} | {_mean(f.audit_workload[learner]):.2f} | "
            f"{_mean(recall):.3f}, {min(recall):.3f}, {good}/{n} | {tighten} / {loosen} | {drift} | "
            f"{sum(f.false_alarms[learner])} | {_mean([float(x) for x in f.exceptions[learner]]):.0f} |"
        )
    print("\nFinal health_low lines (smb / mid-market / enterprise), per seed:")
    for learner in learners[1:]:
        lines = [
            f"{int(x['smb'])}/{int(x['mid_market'])}/{int(x['enterprise'])}" for x in f.final_lines[learner]
        ]
        print(f"  {learner}: {' '.join(lines)}")
    print("\nTargets (tandem):")
    t = "tandem"
    needed = round(0.9 * n)
    flags = f.drift_weeks[t]
    checks = [
        (f"precision ×1.4 or better (weeks 4-7): ×{_mean(f.ratio[t]):.2f}", _mean(f.ratio[t]) >= 1.4),
        (
            f"cards per CSM per week -30%: {_mean(f.workload_change[t]):+.0%}",
            _mean(f.workload_change[t]) <= -0.30,
        ),
        (f"hold-out recall mean ≥ 0.97: {_mean(f.recall[t]):.3f}", _mean(f.recall[t]) >= 0.97),
        (
            f"hold-out recall ≥ 0.95 in {needed} of {n} seeds: {sum(r >= 0.95 for r in f.recall[t])}",
            sum(r >= 0.95 for r in f.recall[t]) >= needed,
        ),
        (
            f"zero proposals in the null world: {sum(a + b for a, b in f.null_proposals[t])}",
            sum(a + b for a, b in f.null_proposals[t]) == 0,
        ),
        (
            f"drift flagged within 2 weeks: {sum(w is not None and w <= 2 for w in flags)} of {len(flags)} seeds",
            bool(flags) and all(w is not None and w <= 2 for w in flags),
        ),
    ]
    for text, ok in checks:
        print(f"  {'PASS' if ok else 'MISS'}  {text}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="3 seeds, 1,000 accounts: a fast look")
    parser.add_argument(
        "--parts",
        action="store_true",
        help="also tandem's parts: exceptions only; thresholds without loosening",
    )
    args = parser.parse_args(argv)
    seeds_n, accounts = (3, 1000) if args.quick else (args.seeds, args.accounts)
    params = WorldParams(accounts=accounts, weeks=args.weeks)
    seeds = list(range(args.first_seed, args.first_seed + seeds_n))
    started = time.perf_counter()
    learners = LEARNERS + VARIANTS if args.parts else LEARNERS
    results = run_all(params, seeds, args.jobs, learners)
    report(measure(results, params, seeds, learners), params, seeds, time.perf_counter() - started)


if __name__ == "__main__":
    main()
