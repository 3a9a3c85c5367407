"""After a signal-level calibration is activated, `explain` on the seeded hard cases still tells
the true story in points: the incident account's costliest signals are named with their
figures and what the book taught, the migration account's usage drop is not read as churn,
and every account's points add up to its score."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from scoring.config import config_to_dict, load_default_config
from scoring.signal_calibration import calibrate_signals
from scoring.signal_proposal import proposed_signal_config
from storage.db import make_engine, make_session_factory, transaction
from storage.repositories.configs import activate, create_config_version
from storage.synthetic import PLANTED_CASES
from tests.integration.conftest import Run
from tests.support.churn_worlds import ORDINARY, build_world

AS_OF = "2026-03-02"


@cache
def calibrated_body() -> dict[str, Any]:
    """A configuration calibrated on a book whose churn follows the hand-set directions at the
    level of signals (idle seats, severe tickets, a hostile tone, unanswered outreach)."""
    config = load_default_config()
    world = build_world(ORDINARY, accounts=1500, months=12, seed=4)
    report = calibrate_signals(world.samples, config=config, horizon_days=90)
    assert report.proposed
    return config_to_dict(proposed_signal_config(config, report))


@pytest.fixture
def calibrated(cli: Run, tmp_path: Path) -> Run:
    code, _ = cli("seed", "--accounts", "120", "--seed", "7", "--as-of", AS_OF)
    assert code == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    with transaction(make_session_factory(engine)) as session:
        row = create_config_version(
            session, body=calibrated_body(), author="calibrate", now=datetime.now(UTC), note=""
        )
        activate(session, version=row.version)
    engine.dispose()
    return cli


def explain(cli: Run, account_id: str) -> dict[str, Any]:
    code, out = cli("explain", account_id, "--as-of", AS_OF, "--json")
    assert code == 0, out
    payload: dict[str, Any] = json.loads(out)
    return payload


def adds_up(payload: dict[str, Any]) -> bool:
    lost = sum(signal["points"] for signal in payload["signals"])
    return abs(100 - lost - payload["score"]) <= 0.5 + 0.05 * 30  # rounding, and signals under 0.05 left out


def test_the_incident_account_names_its_costliest_signals_with_figures(calibrated: Run) -> None:
    payload = explain(calibrated, PLANTED_CASES["incident_renewal"])
    assert payload["band"] == "red"
    explanation = payload["explanation"]
    assert explanation.startswith(f"Red ({payload['score']}): support costs ")
    assert "your book:" in explanation
    costliest = payload["signals"][:3]
    assert all(signal["figure"] for signal in costliest)  # each with its figure
    assert {"severe_tickets", "ticket_tone"} & {signal["signal"] for signal in costliest}
    assert any("high or urgent" in (s["figure"] or "") or "tone" in (s["figure"] or "") for s in costliest)
    assert adds_up(payload)


def test_the_migration_account_is_still_not_called_churn(calibrated: Run) -> None:
    payload = explain(calibrated, PLANTED_CASES["migration"])
    assert payload["band"] != "red"
    assert any("not churn" in note for note in payload["notes"])
    assert "health_low" not in payload["triggers"]
    usage = [s for s in payload["signals"] if s["factor"] == "usage"]
    assert usage and all(s["figure"] is None for s in usage)  # its usage figures are not trusted now
    assert "seats active" not in payload["explanation"]
    assert adds_up(payload)


def test_every_seeded_account_s_points_add_up_to_its_score(calibrated: Run) -> None:
    code, out = calibrated("score", "--as-of", AS_OF, "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 120
    for case in ("whale", "frustrated", "low_reply", "expansion"):
        assert adds_up(explain(calibrated, PLANTED_CASES[case]))
