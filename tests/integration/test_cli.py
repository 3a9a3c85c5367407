"""The command line contract (design.md): commands, formats and stable JSON keys."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.settings import get_settings
from tests.integration.conftest import Run

ROOT = Path(__file__).resolve().parents[2]


def test_seed_score_explain_cycle_overrides(cli: Run) -> None:
    code, out = cli("seed", "--accounts", "30", "--seed", "3", "--as-of", "2026-03-02")
    assert code == 0 and "30 accounts" in out

    code, out = cli("seed", "--accounts", "30", "--as-of", "2026-03-02")
    assert code == 1 and "refused" in out  # an existing book is never overwritten silently

    code, out = cli("score", "--as-of", "2026-03-02", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 30
    assert {"account_id", "score", "band", "confidence", "explanation"} <= set(rows[0])
    assert all(0 <= row["score"] <= 100 for row in rows)

    code, out = cli("score", "--as-of", "2026-03-02", "--format", "csv")
    assert code == 0 and len(list(csv.DictReader(io.StringIO(out)))) == 30

    account_id = rows[0]["account_id"]
    code, out = cli("explain", account_id, "--as-of", "2026-03-02", "--json")
    payload = json.loads(out)
    assert code == 0
    assert {"score", "band", "confidence", "triggers", "route", "reasons"} <= set(payload)
    assert payload["score"] == rows[0]["score"]

    code, out = cli("explain", "no such company at all", "--as-of", "2026-03-02")
    assert code == 1 and "No account matches" in out

    code, out = cli("cycle", "--as-of", "2026-03-02")
    assert code == 0 and "accounts scored: 30" in out

    code, out = cli("ladder")  # no card is in Slack (no token): nothing climbs, nothing wakes
    assert code == 0 and out.startswith("ladder: 0 snoozed cards back, 0 sent to a manager")

    code, out = cli("overrides", "--format", "json")
    assert code == 0 and json.loads(out) == []


def test_import_of_a_missing_directory_names_it(cli: Run, tmp_path: Path) -> None:
    code, out = cli("import", str(tmp_path / "nope"))
    assert code == 2 and "nope" in out and "not a directory" in out


def test_bad_date_is_a_usage_error(cli: Run) -> None:
    with pytest.raises(SystemExit) as raised:
        cli("score", "--as-of", "yesterday")
    assert raised.value.code == 2


def test_demo_runs_as_the_readme_says(tmp_path: Path) -> None:
    """`python app.py demo` from a fresh directory: no Slack, no LLM, no set-up."""
    (tmp_path / "tandem-demo.db").write_bytes(b"left over from an older version")  # replaced, not read
    result = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "accounts scored: 200" in result.stdout
    assert "[ Approve ]  [ Edit ]  [ Take over ]" in result.stdout
    assert "A second click (Take over) changes nothing: Already handled: approved by <@" in result.stdout
    assert "approved,ACC-WHALE" in result.stdout  # the override log row
    assert (tmp_path / "tandem-demo.db").exists()
    # A terminal rendering never shows an invented Slack ts ("(updated 52.000000)").
    assert "(updated in place)" in result.stdout
    assert re.search(r"\(updated [0-9.]+\)", result.stdout) is None
    # What the terminal showed is a preview: the cards are not recorded as posted.
    assert "previewed here, not posted: no SLACK_BOT_TOKEN" in result.stdout


def test_the_readme_keeps_no_placeholder() -> None:
    readme = (ROOT / "README.md").read_text()
    # e.g. a bare CYCLE_NOTES or TEST_COUNTS, on its own line or ending a sentence
    assert re.search(r"(^|[.)] )[A-Z]+_[A-Z_]+$", readme, flags=re.MULTILINE) is None


def test_config_show_diff_activate(cli: Run) -> None:
    code, out = cli("config", "show")
    assert code == 0 and "# version 1 (active)" in out
    body = json.loads(out.split("\n", 1)[1])
    assert body["bands"]["green"] == 75

    from storage.db import make_engine, make_session_factory, transaction
    from storage.repositories.configs import create_config_version

    factory = make_session_factory(make_engine(get_settings().database_url))
    changed = {**body, "bands": {**body["bands"], "green": 80}}
    with transaction(factory) as session:
        create_config_version(
            session, body=changed, author="U0OPS001", now=datetime.now(UTC), note="stricter green"
        )

    code, out = cli("config", "diff", "1", "2")
    assert code == 0 and "1 change(s)" in out and "~ bands.green: 75 → 80" in out
    code, out = cli("config", "activate", "2")
    assert code == 0 and "version 2 is now active" in out
    code, out = cli("config", "show")
    assert "# version 2 (active)" in out and "stricter green" in out
    code, out = cli("config", "activate", "9")
    assert code == 1 and "no trigger configuration version 9" in out
