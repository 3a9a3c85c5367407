"""`calibrate` end to end: a seeded book with outcomes drawn from known weights, the report,
the proposed (inactive) configuration with its triggers tied to the new bands, the accounts
that would start or stop firing, one renewal cohort, and refused outcome files."""

from __future__ import annotations

import io
import json
import math
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from bot import config_commands
from bot.calibrate import calibrate
from bot.clock import FrozenClock
from bot.deps import Deps
from bot.posting import TerminalPoster
from bot.settings import Settings
from bot.workflows.cycle import active_trigger_config, score_all
from prompts.drafting import TemplateDrafter
from scoring.config import FACTORS
from storage import models
from storage.db import make_engine, make_session_factory, transaction
from storage.synthetic import generate_book
from storage.synthetic.outcomes import TRUE_WEIGHTS, plant_outcomes
from tests.conftest import Database
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

    low = next(row for row in report["trigger_alignment"] if row["trigger"] == "health_low")
    assert (low["current"], low["proposed"]) == (60, report["bands"]["yellow"])
    assert low["accounts_start_firing"] is None  # nothing scored yet: nothing to count on
    code, out = cli("config", "diff", "1", "2")
    assert code == 0 and "bands.green" in out and "renewal_risk.intercept" in out
    assert f"triggers.health_low.threshold: 60 → {report['bands']['yellow']}" in out
    assert "No stored health scores" in out
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


def _reweighted(factors: dict[str, Any], weights: dict[str, float]) -> int | None:
    """A stored snapshot's score under other weights: the weighted mean of the factors that
    have data and weight (as the scoring pass computes it, FACTORS order)."""
    used = {name: weights[name] for name in FACTORS if name in factors and weights[name] > 0}
    total = sum(used.values())
    if not total:
        return None
    return math.floor(sum(factors[name]["score"] * (w / total) for name, w in used.items()) + 0.5)


def test_the_proposal_moves_health_low_with_red_and_counts_the_accounts_it_affects(db: Database) -> None:
    deps = Deps(
        Settings(),
        db.session_factory,
        FrozenClock(datetime(2026, 3, 2, 9, tzinfo=UTC)),
        TemplateDrafter(),
        TerminalPoster(io.StringIO()),
    )
    generate_book(db.session_factory, accounts=800, seed=11, as_of=AS_OF)
    _, config = active_trigger_config(deps)
    with transaction(db.session_factory) as session:
        plant_outcomes(session, as_of=AS_OF, config=config, seed=11)
    score_all(deps, as_of=AS_OF)  # today's snapshots, under version 1

    out = io.StringIO()
    assert calibrate(deps, outcomes_file=None, lead_days=30, as_json=True, out=out) == 0
    report = json.loads(out.getvalue())
    assert report["proposed_version"] == 2
    red = report["bands"]["yellow"]
    assert red > 60  # the calibrated Red band reaches above the old health_low threshold
    with db.session_factory() as session:
        proposal = session.get(models.TriggerConfig, 2)
        assert proposal is not None
        body = proposal.body
        snaps = session.execute(
            select(
                models.HealthSnapshot.account_id,
                models.HealthSnapshot.score,
                models.HealthSnapshot.factors,
                models.HealthSnapshot.expansion_readiness,
                models.Account.segment,
            ).join(models.Account, models.Account.account_id == models.HealthSnapshot.account_id)
        ).all()
    assert body["triggers"]["health_low"]["threshold"] == red == body["bands"]["yellow"]
    assert body["triggers"]["expansion_ready"]["min_health"] == red

    # Independently, from the stored snapshots: today's score against 60 (version 1), the score
    # under the proposed weights against the new threshold.
    start = stop = handoff_stop = 0
    for _, score, factors, readiness, segment in snaps:
        new_score = _reweighted(factors["factors"], body["weights"].get(segment, body["weights"]["default"]))
        before, after = score < 60, new_score is not None and new_score < red
        start, stop = start + (after and not before), stop + (before and not after)
        hot = readiness is not None and readiness > 80
        handoff_stop += hot and score >= 60 and not (new_score is not None and new_score >= red)
    rows = {row["trigger"]: row for row in report["trigger_alignment"]}
    assert rows["health_low"] == {
        "trigger": "health_low",
        "setting": "triggers.health_low.threshold",
        "segment": "all",
        "band": "red",
        "current": 60,
        "proposed": red,
        "band_cutoff": red,
        "aligned": True,
        "accounts_start_firing": start,
        "accounts_stop_firing": stop,
    }
    assert start > 0
    assert rows["expansion_ready"]["accounts_stop_firing"] == handoff_stop
    assert report["trigger_alignment_basis"] == {
        "accounts": len(snaps),
        "latest_score_date": AS_OF.isoformat(),
        "proposal_scored_by": "factor weights",
    }

    out = io.StringIO()
    assert config_commands.diff(deps, old=1, new=2, out=out) == 0
    text = out.getvalue()
    assert f"triggers.health_low.threshold: 60 → {red}" in text
    assert f"{start:,} accounts would start firing, {stop:,} would stop" in text

    # Cross-check on real rescoring: activate the proposal and score the same day again.
    assert config_commands.activate(deps, version=2, out=io.StringIO()) == 0
    _, _, results = score_all(deps, as_of=AS_OF)
    old_scores = {row.account_id: row.score for row in snaps}
    rescored_start = sum(1 for r in results if r.factors and r.score < red and old_scores[r.account_id] >= 60)
    assert abs(rescored_start - start) <= 3  # factor scores are stored to 2 decimals
