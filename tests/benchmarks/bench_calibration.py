"""Benchmark: signal-level calibration at scale (a year of monthly pairs on a large book).

Builds a synthetic world with a known churn truth (tests/support/churn_worlds.py, the
"two of twelve features" truth: churn decided by the use of Reports and Exports), one
(account, month-end) sample per account and month, then runs `calibrate_signals` on it.

Printed:
- the time to build the samples, and the samples' own size;
- `calibrate_signals` end to end, and its parts: the backtest fit, the reference gradient
  boosting, the bootstrap of the AUC gain, the final fit on every pair, and the rest (time
  order, metrics, findings, bands);
- memory without tracemalloc (which slows numpy and sees only what it traces): the peak
  resident set of each step, read from the kernel (VmHWM in /proc/self/status, reset between
  steps through /proc/self/clear_refs where the kernel allows it), and the process's
  ru_maxrss at the end (the peak of the whole run);
- the backtest's ROC-AUC for the current score, the proposal and the reference, and the truth's
  own (the best any model can do on the draw) on the same pairs.
Not part of the test suite; no timed assertions.

    python tests/benchmarks/bench_calibration.py [--accounts 100000] [--months 12] [--seed 7] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sklearn.metrics import roc_auc_score

import scoring.signal_backtest as signal_backtest
import scoring.signal_calibration as signal_calibration
from scoring.config import load_default_config
from tests.support.churn_worlds import WORLDS, build_world

TRUTH = "two_of_twelve_features"
HORIZON_DAYS = 90
# The functions calibrate_signals calls, where it looks them up, and what their time counts as
# (the backtest fits once, or once per fold when it falls back to cross-validation).
PARTS: tuple[tuple[Any, str, str], ...] = (
    (signal_backtest, "fit_signals", "backtest fit"),
    (signal_backtest, "reference_model", "reference gradient boosting"),
    (signal_calibration, "auc_gain_interval", "bootstrap"),
    (signal_calibration, "fit_signals", "final fit"),
)


def _kib(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return float(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak() -> bool:
    """Start a new peak-RSS measurement (Linux: writing 5 to clear_refs resets VmHWM)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_mib() -> float:
    """The resident peak since the last reset (VmHWM), else the process's ru_maxrss."""
    hwm = _kib("VmHWM")
    return (hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024


def maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mib() -> float:
    now = _kib("VmRSS")
    return (now or 0.0) / 1024


class PartTimer:
    """Wraps the functions `calibrate_signals` calls by name, to time its parts in place."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._saved: list[tuple[Any, str, Callable[..., Any]]] = []

    def __enter__(self) -> PartTimer:
        for module, name, label in PARTS:
            original = getattr(module, name)
            self._saved.append((module, name, original))
            setattr(module, name, self._timed(original, label))
        return self

    def __exit__(self, *exc: object) -> None:
        for module, name, original in reversed(self._saved):
            setattr(module, name, original)

    def _timed(self, function: Callable[..., Any], label: str) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - started

        return timed


def run(accounts: int, months: int, seed: int = 7, *, profile: bool = False) -> dict[str, Any]:
    """Build the world and calibrate on it; the figures as a dict (the smoke test reads it)."""
    config = load_default_config()
    figures: dict[str, Any] = {"accounts": accounts, "months": months, "peak_reset": reset_peak()}
    started = time.perf_counter()
    world = build_world(WORLDS[TRUTH], accounts=accounts, months=months, seed=seed, config=config)
    figures["build_seconds"] = time.perf_counter() - started
    figures["build_peak_mib"] = peak_mib()
    samples = world.samples
    figures["samples"] = len(samples.churned)
    figures["churned"] = int(samples.churned.sum())
    figures["samples_mib"] = (
        sum(
            getattr(samples, name).nbytes
            for name in ("values", "churned", "days", "label_ends", "accounts", "current", "sources")
        )
        / 2**20
    )
    figures["values_dtype"] = str(samples.values.dtype)
    figures["rss_before_mib"] = rss_mib()

    reset_peak()
    profiler = cProfile.Profile() if profile else None
    with PartTimer() as parts:
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        result = signal_calibration.calibrate_signals(
            samples, config=config, horizon_days=HORIZON_DAYS, seed=seed
        )
        if profiler:
            profiler.disable()
        figures["calibrate_seconds"] = time.perf_counter() - started
    figures["calibrate_peak_mib"] = peak_mib()
    figures["parts"] = dict(parts.seconds)
    figures["parts"]["rest"] = figures["calibrate_seconds"] - sum(parts.seconds.values())
    figures["maxrss_mib"] = maxrss_mib()

    # The truth on the samples the backtest judged (every sample under cross-validation).
    test = signal_calibration.backtest_rows(samples) if result.split_day else np.arange(len(samples.churned))
    figures["auc"] = {
        "current": result.current_metrics.roc_auc,
        "proposed": result.proposed_metrics.roc_auc,
        "reference": result.reference_metrics.roc_auc,
        "truth": float(roc_auc_score(samples.churned[test], world.truth[test])),
    }
    figures["train_samples"], figures["test_samples"] = result.train_samples, result.test_samples
    figures["proposed"] = result.proposed
    figures["gain"] = (result.auc_gain, result.auc_gain_low, result.auc_gain_high)
    figures["signals"] = [shape.signal for shape in result.model.shapes] if result.model else []
    figures["verdict"] = result.verdict
    if profiler:
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(30)
    return figures


def report(f: dict[str, Any]) -> None:
    print(
        f"{f['accounts']:,} accounts x {f['months']} months: {f['samples']:,} samples, "
        f"{f['churned']:,} churned; truth {TRUTH!r}"
    )
    print(
        f"  build samples     {f['build_seconds']:7.1f} s   peak RSS {f['build_peak_mib']:6.0f} MiB   "
        f"(samples hold {f['samples_mib']:.0f} MiB, values {f['values_dtype']}; RSS after {f['rss_before_mib']:.0f} MiB)"
    )
    print(
        f"  calibrate_signals {f['calibrate_seconds']:7.1f} s   peak RSS {f['calibrate_peak_mib']:6.0f} MiB"
    )
    for label in ("backtest fit", "reference gradient boosting", "bootstrap", "final fit", "rest"):
        if label in f["parts"]:
            print(f"    {label:<28} {f['parts'][label]:6.1f} s")
    reset_note = "" if f["peak_reset"] else " (clear_refs not writable: every peak is the process's)"
    print(f"  process ru_maxrss {f['maxrss_mib']:7.0f} MiB{reset_note}")
    auc = f["auc"]
    print(
        f"  backtest ({f['train_samples']:,} fitted, {f['test_samples']:,} judged) ROC-AUC: "
        f"current {auc['current']:.4f}, proposed {auc['proposed']:.4f}, reference {auc['reference']:.4f}, "
        f"truth {auc['truth']:.4f}"
    )
    gain, low, high = f["gain"]
    print(f"  gain {gain:+.4f} (95% {low:+.4f} to {high:+.4f}); proposed: {f['proposed']}")
    print(f"  signals: {', '.join(f['signals']) or '-'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--profile", action="store_true", help="cProfile calibrate_signals (top 30, cumulative)"
    )
    args = parser.parse_args()
    report(run(args.accounts, args.months, args.seed, profile=args.profile))


if __name__ == "__main__":
    main()
