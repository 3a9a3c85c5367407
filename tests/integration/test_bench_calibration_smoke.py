"""The signal-calibration benchmarks at a tiny size, so they keep working: calibration at scale
(tests/benchmarks/bench_calibration.py) and the scoring pass with and without a calibrated
model against a baseline checkout (tests/benchmarks/bench_signal_scoring.py)."""

from __future__ import annotations

import pytest

from tests.benchmarks import bench_calibration, bench_signal_scoring


def test_the_calibration_benchmark_times_every_part_and_finds_the_truth(
    capsys: pytest.CaptureFixture[str],
) -> None:
    figures = bench_calibration.run(1_500, 12, seed=7)
    bench_calibration.report(figures)

    assert figures["samples"] == 18_000
    assert figures["values_dtype"] == "float32"
    assert set(figures["parts"]) == {
        "backtest fit",
        "reference gradient boosting",
        "bootstrap",
        "final fit",
        "rest",
    }
    assert figures["calibrate_peak_mib"] > 0 and figures["maxrss_mib"] >= figures["calibrate_peak_mib"] * 0.99
    auc = figures["auc"]
    assert auc["proposed"] > auc["current"] + 0.1  # the world's truth is not the hand-set score's
    assert auc["proposed"] <= auc["truth"] + 0.02
    assert figures["proposed"]
    assert {"feature_use:Reports", "feature_use:Exports"} <= set(figures["signals"])
    printed = capsys.readouterr().out
    assert "calibrate_signals" in printed and "ROC-AUC" in printed


def test_the_scoring_benchmark_compares_variants_against_a_baseline_checkout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # This checkout as its own baseline: the children run with only that root on the path.
    found = bench_signal_scoring.bench(
        400, 1, seed=3, baseline_root=bench_signal_scoring.ROOT, model_accounts=1_500
    )

    assert list(found) == ["baseline", "hand-set", "calibrated"]
    for figures in found.values():
        assert figures["accounts"] == 400
        assert len(figures["score_table"]) == len(figures["score_columns_cpu"]) == 1
        assert figures["code"] == str(bench_signal_scoring.ROOT)
    assert found["baseline"]["digest"] == found["hand-set"]["digest"]
    assert found["calibrated"]["digest"] != found["hand-set"]["digest"]
    assert "identical to the baseline's" in capsys.readouterr().out
