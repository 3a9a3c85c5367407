"""`calibrate` end to end: a seeded book with outcomes drawn from known weights, the report,
the proposed (inactive) configuration, and refused outcome files."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from storage import models
from storage.db import make_engine, make_session_factory
from storage.synthetic.outcomes import TRUE_WEIGHTS
from tests.integration.conftest import Run

AS_OF = date(2026, 3, 2)


def _outcome_count(tmp_path: Path) -> int:
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    with make_session_factory(engine)() as session:
        count = session.scalar(select(func.count()).select_from(models.RenewalOutcome)) or 0
    engine.dispose()
    return count


def _forget_outcomes(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    with make_session_factory(engine).begin() as session:
        session.execute(delete(models.RenewalOutcome))
    engine.dispose()


def test_calibration_recovers_the_weights_the_outcomes_were_drawn_with(cli: Run) -> None:
    code, out = cli("seed", "--accounts", "3000", "--seed", "11", "--as-of", AS_OF.isoformat(), "--outcomes")
    assert code == 0 and "3,000 renewal outcomes" in out

    code, out = cli("calibrate", "--json")
    report = json.loads(out)
    assert code == 0, out
    assert report["bands_ordered"] is True
    rates = {row["band"]: row["rate"] for row in report["band_rates"]}
    assert rates["red"] > rates["yellow"] > rates["green"]
    assert report["test_metrics"]["roc_auc"] > 0.8
    assert report["test_metrics"]["top_decile_lift"] > 2
    for name, weight in TRUE_WEIGHTS.items():
        assert report["weights"]["default"][name] == pytest.approx(weight, abs=0.1), (name, report["weights"])
    assert report["proposed_version"] == 2 and report["active_version"] == 1

    code, out = cli("config", "diff", "1", "2")
    assert code == 0 and "bands.green" in out and "renewal_risk.intercept" in out
    code, out = cli("config", "activate", "2")
    assert code == 0
    code, out = cli("score", "--as-of", AS_OF.isoformat(), "--format", "json")
    rows = json.loads(out)
    green = report["bands"]["green"]
    assert all((row["band"] == "green") == (row["score"] >= green) for row in rows)  # the new bands rule


def test_a_bad_outcomes_file_is_refused_whole_and_named(cli: Run, tmp_path: Path) -> None:
    cli("seed", "--accounts", "60", "--as-of", AS_OF.isoformat())
    before = _outcome_count(tmp_path)
    bad = tmp_path / "outcomes.csv"
    bad.write_text(
        "account_id,renewal_date,outcome\nACC-00001,2026-02-01,renewed\nACC-NOPE,2026-02-01,churned\n"
        "ACC-00002,2026-02-01,maybe\n",
        encoding="utf-8",
    )
    code, out = cli("calibrate", "--outcomes", str(bad))
    assert code == 1
    assert "ACC-NOPE" in out and "line 3" in out and "outcome" in out and "line 4" in out
    assert "nothing was calibrated" in out
    assert _outcome_count(tmp_path) == before  # the good first row was not written either


def _outcomes_file(cli: Run, tmp_path: Path, *, one_day: date | None = None) -> Path:
    """Outcomes for a 400-account book, churn more likely for lower scores (something to find);
    renewals spread over four weeks, or all on `one_day`."""
    cli("seed", "--accounts", "400", "--seed", "4", "--as-of", AS_OF.isoformat())
    _, out = cli("score", "--as-of", (AS_OF - timedelta(days=40)).isoformat(), "--format", "json")
    rng = random.Random(1)
    lines = ["account_id,renewal_date,outcome"]
    for row in json.loads(out):
        churned = rng.random() < (0.6 if row["score"] < 60 else 0.05)
        renewal = one_day or AS_OF - timedelta(days=rng.randint(2, 28))
        lines.append(f"{row['account_id']},{renewal.isoformat()},{'churned' if churned else 'renewed'}")
    path = tmp_path / "renewals-export.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_an_outcomes_file_is_imported_then_calibrated(cli: Run, tmp_path: Path) -> None:
    path = _outcomes_file(cli, tmp_path)

    code, out = cli("calibrate", "--outcomes", str(path))
    assert code == 0, out
    assert "Calibration on" in out and "ROC-AUC" in out
    assert "time-ordered" in out
    assert "config activate" in out or "No configuration proposed" in out
    assert _outcome_count(tmp_path) >= 400


def test_one_renewal_date_for_every_contract_is_cross_validated(cli: Run, tmp_path: Path) -> None:
    renewal_day = AS_OF - timedelta(days=10)
    path = _outcomes_file(cli, tmp_path, one_day=renewal_day)
    _forget_outcomes(tmp_path)  # the seeded book's earlier (all renewed) anniversaries: only the cohort

    code, out = cli("calibrate", "--outcomes", str(path), "--json")
    assert code == 0, out  # used to refuse: "every renewal falls on or after ..."
    report = json.loads(out)
    assert report["backtest"] == "stratified_cv" and report["split_date"] is None
    assert 2 <= report["folds"] <= 5
    assert renewal_day.isoformat() in report["backtest_reason"]
    assert report["test_samples"] == report["samples"]
    assert report["test_metrics"]["roc_auc"] > 0.6

    code, out = cli("calibrate")
    assert code == 0, out
    assert "stratified" in out and "cross-validation" in out and renewal_day.isoformat() in out
