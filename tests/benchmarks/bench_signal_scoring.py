"""Benchmark: what the signal-level score costs the scoring pass (no database).

One FeatureTable of --accounts accounts (a month of tests/support/churn_worlds.py's synthetic
book: usage, per-feature use, tickets, billing, engagement) is scored in memory by
`score_columns` (the numpy columns) and `score_table` (every account's HealthResult: factor
details, explanation, notes, points), under:

- hand-set: the default configuration; the pass also takes the score apart signal by signal
  (`scoring.signal_points.default_points`, `signal_matrix`, each result's `points`);
- calibrated: the default configuration with a SignalModel calibrated on a small synthetic
  world (`config.model_copy(update={"signal_model": model})`), scored by `signal_scores`;
- baseline (with --baseline-root DIR): the hand-set pass of another checkout, e.g. a worktree
  of commit 2a24827, the last before signals existed: the pass without the breakdown;
- with --other-root DIR (repeatable): hand-set and calibrated of another checkout that has
  signals (an earlier commit of this work, to compare before and after a change).

Each variant runs in its own process (a child of this script with only its checkout on the
path) on the same pickled table: one warm-up pass, then --repeats timed passes; --rounds runs
the variants' children in turn that many times, so a load that comes and goes falls on all of
them. The figures are medians over every timed pass in ms per 100,000 accounts, as wall time
and as the process's CPU time (time.process_time: the pass is single-threaded, so on a busy
machine CPU time is the steadier figure), and the overhead against the baseline. The children
also report a digest of the results, so a baseline that scores differently is named. Not part
of the test suite; no timed assertions.

    git worktree add --detach /tmp/before-signals 2a24827
    python tests/benchmarks/bench_signal_scoring.py [--accounts 100000] [--repeats 5] [--rounds 3] [--baseline-root /tmp/before-signals]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
AS_OF = date(2025, 6, 30)
MODEL_ACCOUNTS = 5_000  # the small world the calibrated model is fitted on (12 months)


def build_inputs(
    accounts: int, seed: int, folder: Path, model_accounts: int = MODEL_ACCOUNTS
) -> dict[str, Any]:
    """The table to score and a calibrated model, pickled into `folder` for the children."""
    import numpy as np

    from scoring.config import load_default_config
    from scoring.signal_calibration import calibrate_signals
    from tests.support.churn_worlds import WORLDS, account_traits, build_world, monthly_table

    config = load_default_config()
    rng = np.random.default_rng(seed)
    table = monthly_table(rng, account_traits(rng, accounts), AS_OF)
    world = build_world(WORLDS["two_of_twelve_features"], accounts=model_accounts, months=12, seed=seed)
    calibration = calibrate_signals(world.samples, config=config, horizon_days=90, seed=seed)
    model = calibration.model
    if model is None:
        raise SystemExit(f"the small world's calibration proposed nothing: {calibration.verdict}")
    (folder / "table.pickle").write_bytes(pickle.dumps(table))
    (folder / "model.pickle").write_bytes(pickle.dumps(model))
    return {"signals": [shape.signal for shape in model.shapes]}


def child(folder: Path, variant: str, repeats: int) -> dict[str, Any]:
    """Time the pass on the pickled table with whichever checkout is first on sys.path."""
    import scoring
    from scoring.config import load_default_config
    from scoring.health import score_columns, score_table

    table = pickle.loads((folder / "table.pickle").read_bytes())
    config = load_default_config()
    if variant == "calibrated":
        model = pickle.loads((folder / "model.pickle").read_bytes())
        config = config.model_copy(update={"signal_model": model})
    figures: dict[str, Any] = {
        "code": str(Path(scoring.__file__).resolve().parents[1]),
        "accounts": len(table),
    }
    for name, run in (("score_columns", score_columns), ("score_table", score_table)):
        run(table, config)  # warm-up: imports, caches, the table's per-column lists
        wall, cpu = [], []
        for _ in range(repeats):
            started, started_cpu = time.perf_counter(), time.process_time()
            out = run(table, config)
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        figures[name], figures[f"{name}_cpu"] = wall, cpu
    results = out  # score_table's, from the last pass
    digest = hashlib.sha256()
    for r in results:
        digest.update(
            f"{r.account_id}|{r.score}|{r.band}|{r.confidence}|{r.explanation}|{r.notes}\n".encode()
        )
    figures["digest"] = digest.hexdigest()[:16]
    return figures


def run_child(root: Path, folder: Path, variant: str, repeats: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, __file__, "--child", variant, "--folder", str(folder), "--root", str(root),
         "--repeats", str(repeats)],
        check=True, capture_output=True, text=True, env=env,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def per_100k(seconds: list[float], accounts: int) -> float:
    """The median pass in ms per 100,000 accounts."""
    return statistics.median(seconds) * 1000 * 100_000 / accounts


def bench(
    accounts: int,
    repeats: int,
    seed: int,
    baseline_root: Path | None,
    rounds: int = 1,
    model_accounts: int = MODEL_ACCOUNTS,
    other_roots: tuple[Path, ...] = (),
) -> dict[str, dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        inputs = build_inputs(accounts, seed, folder, model_accounts)
        print(
            f"{accounts:,} accounts; calibrated model from a {model_accounts:,}-account world: "
            f"{len(inputs['signals'])} signals ({', '.join(inputs['signals'])}); "
            f"inputs built in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        variants: list[tuple[str, Path, str]] = [
            ("hand-set", ROOT, "hand-set"),
            ("calibrated", ROOT, "calibrated"),
        ]
        for other in other_roots:
            variants += [
                (f"hand-set @{other.name}", other, "hand-set"),
                (f"calibrated @{other.name}", other, "calibrated"),
            ]
        if baseline_root is not None:
            variants.insert(0, ("baseline", baseline_root, "hand-set"))
        found: dict[str, dict[str, Any]] = {}
        for _ in range(rounds):
            for label, root, variant in variants:
                figures = run_child(root, folder, variant, repeats)
                pooled = found.setdefault(label, {**figures, **{k: [] for k in TIMED}})
                for key in TIMED:
                    pooled[key] += figures[key]
    report(found, accounts)
    return found


TIMED = ("score_columns", "score_table", "score_columns_cpu", "score_table_cpu")


def report(found: dict[str, dict[str, Any]], accounts: int) -> None:
    base = found.get("baseline")
    passes = len(next(iter(found.values()))["score_table"])
    print(f"  ms per 100,000 accounts, median of {passes} passes: wall / CPU (overhead on the baseline's)")
    width = max(11, *(len(label) for label in found))
    print(f"  {'variant':<{width}} {'score_columns':>30} {'score_table':>32}   code")
    for label, figures in found.items():
        cells = []
        for name in ("score_columns", "score_table"):
            wall, cpu = per_100k(figures[name], accounts), per_100k(figures[f"{name}_cpu"], accounts)
            cell = f"{wall:6.0f} / {cpu:6.0f}"
            if base is not None and label != "baseline":
                cell += (
                    f" ({wall / per_100k(base[name], accounts) - 1:+4.0%} / "
                    f"{cpu / per_100k(base[f'{name}_cpu'], accounts) - 1:+4.0%})"
                )
            cells.append(cell)
        print(f"  {label:<{width}} {cells[0]:>30} {cells[1]:>32}   {figures['code']}")
    if base is not None:
        same = base["digest"] == found["hand-set"]["digest"]
        print(
            f"  hand-set results (score, band, confidence, explanation, notes) "
            f"{'identical to' if same else 'DIFFER from'} the baseline's"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--rounds", type=int, default=1, help="run every variant's child this many times, in turn"
    )
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument(
        "--model-accounts", type=int, default=MODEL_ACCOUNTS, help="the calibrated model's world"
    )
    parser.add_argument("--baseline-root", type=Path, help="another checkout to time the hand-set pass of")
    parser.add_argument(
        "--other-root", type=Path, action="append", default=[], help="a checkout with signals to time too"
    )
    parser.add_argument("--child", choices=("hand-set", "calibrated"), help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(args.root.resolve()))
    if args.child:
        print(json.dumps(child(args.folder, args.child, args.repeats)))
        return
    baseline = args.baseline_root.resolve() if args.baseline_root else None
    others = tuple(root.resolve() for root in args.other_root)
    bench(args.accounts, args.repeats, args.seed, baseline, args.rounds, args.model_accounts, others)


if __name__ == "__main__":
    main()
