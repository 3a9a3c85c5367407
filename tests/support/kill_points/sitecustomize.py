"""Kill points for crash tests, loaded by Python at start-up when this folder is on PYTHONPATH.

With TANDEM_TEST_KILL_BEFORE_COMMIT=k the process SIGKILLs itself as its k-th database
transaction is about to commit (that transaction is lost, every earlier one is kept): a crash
at a chosen point of the work, whatever the machine's speed. With TANDEM_TEST_COUNT_COMMITS=path
it writes at exit how many transactions it committed (a reference run tells the trials how many
points there are). Neither set: nothing is imported or changed.
"""

from __future__ import annotations

import os

_KILL_AT = os.environ.get("TANDEM_TEST_KILL_BEFORE_COMMIT")
_COUNT_TO = os.environ.get("TANDEM_TEST_COUNT_COMMITS")

if _KILL_AT or _COUNT_TO:
    import atexit
    import signal
    from pathlib import Path
    from typing import Any

    from sqlalchemy import Engine, event

    _commits = 0

    @event.listens_for(Engine, "commit")
    def _before_commit(_connection: Any) -> None:  # SQLAlchemy calls it before the COMMIT is sent
        global _commits
        _commits += 1
        if _KILL_AT and _commits == int(_KILL_AT):
            os.kill(os.getpid(), signal.SIGKILL)

    if _COUNT_TO:
        count_file = Path(_COUNT_TO)
        atexit.register(lambda: count_file.write_text(str(_commits)))
