"""`python app.py tune report [--weeks N] [--as-of DATE] [--format table|json]`.

Loads the decisions, cards and renewal outcomes as known on `as_of`, hands them to the pure
measures in `scoring.learning`, and prints the result. The configuration's `[learning]`
section (reviewer defaults, windows) is the active version's.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TextIO

from bot.deps import Deps
from bot.tuning.report_render import render
from bot.workflows.cycle import active_trigger_config
from scoring.learning.report import LearningReport, build_report
from scoring.learning.weeks import window_start
from storage.repositories import learning


def learning_report(deps: Deps, *, weeks: int, as_of: date) -> LearningReport:
    """The report for the `weeks` weeks ending with `as_of`'s (for commands and Slack alike)."""
    _, config = active_trigger_config(deps)
    settings = config.learning
    start = window_start(as_of, weeks)
    # Recall looks back from each churn in the window for its cards: load the horizon before it.
    cards_since = start - timedelta(days=settings.outcome_horizon_days)
    with deps.session_factory() as session:
        decisions = learning.load_decisions(session, since=start, as_of=as_of)
        cards = learning.load_cards(session, since=cards_since, as_of=as_of)
        outcomes = learning.load_outcomes(session, since=start, as_of=as_of)
        csms = learning.csm_ids(session)
    return build_report(decisions, cards, outcomes, csms=csms, as_of=as_of, weeks=weeks, settings=settings)


def tune_report(deps: Deps, *, weeks: int, as_of: date, fmt: str, out: TextIO) -> int:
    if weeks < 1:
        print(f"tune report: --weeks must be at least 1, got {weeks}", file=out)
        return 2
    print(render(learning_report(deps, weeks=weeks, as_of=as_of), fmt), file=out)
    return 0
