"""`explain` on the seeded hard cases tells a CSM the true story: the migration account is a
data problem, not a churn risk; the incident account is a churn risk, and says why."""

from __future__ import annotations

import json

import pytest

from storage.synthetic import PLANTED_CASES
from tests.integration.conftest import Run

AS_OF = "2026-03-02"


@pytest.fixture
def seeded(cli: Run) -> Run:
    code, _ = cli("seed", "--accounts", "120", "--seed", "7", "--as-of", AS_OF)
    assert code == 0
    return cli


def explain(cli: Run, case: str) -> tuple[dict[str, object], str]:
    code, out = cli("explain", PLANTED_CASES[case], "--as-of", AS_OF, "--json")
    assert code == 0
    _, text = cli("explain", PLANTED_CASES[case], "--as-of", AS_OF)
    return json.loads(out), text


def test_the_migration_account_is_a_data_problem_not_a_churn_risk(seeded: Run) -> None:
    payload, text = explain(seeded, "migration")
    assert payload["band"] != "red"
    assert float(payload["confidence"]) < 1  # type: ignore[arg-type]
    assert any("not churn" in note for note in payload["notes"])  # type: ignore[attr-defined]
    assert "health_low" not in payload["triggers"]  # type: ignore[operator]
    assert payload["route"] in (None, "human", "hold")  # nothing automated goes out on it
    assert "Note: Usage fell during an instance migration" in text


def test_the_incident_account_is_a_churn_risk_with_its_evidence(seeded: Run) -> None:
    payload, text = explain(seeded, "incident_renewal")
    assert payload["band"] == "red"
    risk = payload["renewal_risk"]
    assert isinstance(risk, float) and risk > 0.5
    contributors = {c["factor"]: c for c in payload["contributors"]}  # type: ignore[attr-defined]
    assert {"usage", "support"} <= set(contributors)
    support_evidence = " ".join(contributors["support"]["evidence"])
    assert "urgent" in support_evidence and "breach" in support_evidence.lower()
    # The breach tickets read as bad news (stock VADER called their tone positive, +0.28).
    assert "tone positive" not in text
    support_line = next(line for line in text.splitlines() if line.strip().startswith("support ("))
    assert "tone hostile" in support_line or "tone negative" in support_line
    assert contributors["usage"]["evidence"][0].startswith("Daily active users, weekly average")
    assert "Renewal risk:" in text and "What costs the most points" in text
