"""Long commands say how far they have got: off a terminal (as under pytest, cron or a
container) `seed`, `import`, `score`, `calibrate` and `tune propose`'s replays log plain progress
lines, each ending with what was done; their printed output is unchanged."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from tests.integration.conftest import Run

AS_OF = "2026-03-02"


def _progress(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "tandem.progress"]


def test_long_commands_log_their_progress(cli: Run, caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    caplog.set_level(logging.INFO, logger="tandem.progress")

    code, out = cli("seed", "--accounts", "30", "--seed", "3", "--as-of", AS_OF)
    assert code == 0 and "30 accounts" in out
    code, out = cli("score", "--as-of", AS_OF, "--format", "json")
    assert code == 0 and len(json.loads(out)) == 30  # the output stays the scores, nothing else
    cli("calibrate")  # a book without outcomes cannot be calibrated; it still says how far it got
    code, _ = cli("tune", "propose", "--as-of", AS_OF)
    assert code == 0
    export = tmp_path / "export"
    export.mkdir()
    (export / "csms.csv").write_text("slack_id,name,role\nU0NEW1,Ana,csm\nU0NEW2,Bo,csm\n")
    code, _ = cli("import", str(export))
    assert code == 0

    lines = _progress(caplog)
    for done in ("seed: done, 30 accounts in ", "score: done, 2 steps in ", "calibrate: done, 2 fits in ",
                 "tune propose: replays: done, ", "import csms.csv: done, 2 rows in "):  # fmt: skip
        assert any(line.startswith(done) for line in lines), (done, lines)
