"""Benchmark: does signal-level calibration recover each synthetic world's churn pattern? (issue 13)

For each world of tests/support/churn_worlds.py (a direction the hand-set score has backwards,
churn decided by two of twelve product features, a turn in utilisation, the hand-set
directions at signal level, and a world with no signal), over several seeds: a book of
`--accounts` accounts x `--months` month-ends, labels drawn from the world's truth, then
`scoring.signal_calibration.calibrate_signals`. Printed per world (mean over seeds, worst in
brackets), all ROC-AUC on the time-ordered backtest's judged samples:
- current: the hand-set score; proposed: the calibrated score fitted on the earlier samples;
- reference: gradient boosting on the same signals; truth: the generating log-odds;
- proposed / reference and proposed / truth; how many seeds proposed a configuration;
- what it learned, in words, on the first seed.
Not part of the test suite; no timed assertions.

    python tests/benchmarks/bench_calibration_worlds.py [--accounts 3000] [--months 12] [--seeds 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np
from sklearn.metrics import roc_auc_score

from scoring.config import load_default_config
from scoring.signal_calibration import backtest_rows, calibrate_signals
from tests.support.churn_worlds import ORDINARY, WORLDS, build_world


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=3000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args(argv)
    config = load_default_config()
    worlds = {**WORLDS, "hand_set_directions": ORDINARY}
    print(
        f"{args.accounts:,} accounts x {args.months} month-ends per world, {args.seeds} seeds; "
        "ROC-AUC on the backtest's judged samples (mean [worst])"
    )
    header = f"{'world':<24}{'current':>9}{'proposed':>16}{'reference':>11}{'truth':>8}{'prop/ref':>16}{'prop/truth':>12}{'proposed':>10}{'s/seed':>8}"
    print(header)
    for name, truth in worlds.items():
        rows, learned = [], []
        started = time.perf_counter()
        for seed in range(args.seeds):
            world = build_world(truth, accounts=args.accounts, months=args.months, seed=100 + seed)
            report = calibrate_signals(world.samples, config=config, horizon_days=90)
            judged = backtest_rows(world.samples)
            truth_auc = roc_auc_score(world.samples.churned[judged], world.truth[judged])
            rows.append((
                report.current_metrics.roc_auc, report.proposed_metrics.roc_auc,
                report.reference_metrics.roc_auc, truth_auc, report.proposed,
            ))  # fmt: skip
            if seed == 0:
                learned = [f.sentence for f in report.findings] or [report.verdict]
        a = np.array([r[:4] for r in rows])
        ratio_ref, ratio_truth = a[:, 1] / a[:, 2], a[:, 1] / a[:, 3]
        proposed = sum(r[4] for r in rows)
        elapsed = (time.perf_counter() - started) / args.seeds
        print(
            f"{name:<24}{a[:, 0].mean():>9.3f}{a[:, 1].mean():>9.3f} [{a[:, 1].min():.3f}]{a[:, 2].mean():>11.3f}"
            f"{a[:, 3].mean():>8.3f}{ratio_ref.mean():>9.3f} [{ratio_ref.min():.3f}]{ratio_truth.mean():>12.3f}"
            f"{proposed:>7}/{args.seeds}{elapsed:>8.1f}"
        )
        for sentence in learned:
            print(f"    {sentence}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
