"""`tune report` on a seeded book with decisions made through the card workflow, on SQLite and
PostgreSQL: the JSON contract's keys, counts that match what happened, and `--as-of`."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.clock import FrozenClock
from bot.deps import Deps
from bot.posting import TerminalPoster
from bot.settings import Settings
from bot.tuning.report import tune_report
from bot.workflows import card_decisions
from bot.workflows.cycle import run_cycle
from bot.workflows.refused import Refused
from prompts.drafting import TemplateDrafter
from storage.models import EscalationCard, OverrideRecord, Signal
from storage.synthetic import generate_book
from tests.conftest import Database
from tests.integration.conftest import Run

FIRST, SECOND = date(2026, 2, 23), date(2026, 3, 2)  # two Mondays: two cycle weeks
DESIGN_KEYS = {
    "trigger",
    "segment",
    "week",
    "cards",
    "precision",
    "precision_low",
    "precision_high",
    "dismiss_rate",
}
MORE_KEYS = {"decided", "labels", "approvals", "approval_rate", "dismissed", "dismiss_reasons",
             "decision_seconds_median", "decision_seconds_p90", "audit_cards"}  # fmt: skip


@dataclass
class Book:
    deps: Deps
    clock: FrozenClock
    decided: dict[date, list[str]] = field(default_factory=dict)  # actions taken per cycle day
    early: dict[str, Any] = field(default_factory=dict)  # the report as of FIRST + 4 days, run then


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _decide_some(book: Book, day: date, plan: list[str]) -> None:
    """Decide pending cards of that cycle day as `plan` says, a few minutes apart (drafts first,
    so some can be approved and edited rather than taken over)."""
    with book.deps.session_factory() as session:
        pending = session.execute(
            select(EscalationCard.id, EscalationCard.recipient_slack_id)
            .join(Signal, Signal.id == EscalationCard.signal_id)
            .where(EscalationCard.state == "pending", Signal.as_of == day)
            .order_by(Signal.route != "assist", EscalationCard.id)
        ).all()
    taken: list[str] = []
    for (card_id, owner), action in zip(pending, plan, strict=False):
        book.clock.advance(minutes=7)
        outcome: Any
        if action == "approved":
            outcome = card_decisions.approve(book.deps, card_id=card_id, actor=owner)
            if isinstance(outcome, Refused):  # a card for a person: nothing to send
                outcome, action = (
                    card_decisions.take_over(book.deps, card_id=card_id, actor=owner),
                    "taken_over",
                )
        elif action == "edited":
            outcome = card_decisions.edit_and_approve(
                book.deps, card_id=card_id, actor=owner, text="Hi, shall we talk?"
            )
            if isinstance(outcome, Refused):
                outcome, action = (
                    card_decisions.take_over(book.deps, card_id=card_id, actor=owner),
                    "taken_over",
                )
        else:
            outcome = card_decisions.dismiss(book.deps, card_id=card_id, actor=owner, reason=action)
            action = "dismissed"
        assert isinstance(outcome, card_decisions.Decided), outcome
        taken.append(action)
    assert len(taken) == len(plan)
    book.decided.setdefault(day, []).extend(taken)


@pytest.fixture
def book(db: Database) -> Iterator[Book]:
    clock = FrozenClock(_at(FIRST, 6))
    deps = Deps(settings=Settings(), session_factory=db.session_factory, clock=clock,  # type: ignore[call-arg]
                drafter=TemplateDrafter(), poster=TerminalPoster(out=io.StringIO()))  # fmt: skip
    generate_book(db.session_factory, accounts=200, seed=7, as_of=SECOND)
    book = Book(deps, clock)
    run_cycle(deps, as_of=FIRST)
    clock.current = _at(FIRST, 9)
    _decide_some(book, FIRST, ["approved"] * 4 + ["false_positive"] * 3 + ["known_context", "wrong_timing"])
    book.early = _report(book, as_of=FIRST + timedelta(days=4), weeks=1)
    clock.current = _at(SECOND, 6)
    run_cycle(deps, as_of=SECOND)
    clock.current = _at(SECOND, 10)
    _decide_some(book, SECOND, ["approved", "edited", "edited", "false_positive", "already_handled"])
    _decide_some(book, FIRST, ["false_positive"])  # a card from the first week, decided late
    yield book


def _report(book: Book, *, as_of: date, weeks: int = 2) -> dict[str, Any]:
    out = io.StringIO()
    assert tune_report(book.deps, weeks=weeks, as_of=as_of, fmt="json", out=out) == 0
    return dict(json.loads(out.getvalue()))


def _cards(book: Book, up_to: date) -> int:
    with book.deps.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(EscalationCard)
                                  .where(EscalationCard.created_at < _at(up_to + timedelta(days=1), 0))) or 0)  # fmt: skip


def test_the_json_report_has_the_contract_keys_and_counts_what_happened(book: Book) -> None:
    report = _report(book, as_of=SECOND)
    assert set(report) == {
        "as_of",
        "weeks",
        "reviewer",
        "rows",
        "workload",
        "dismiss_trends",
        "recall",
        "edits",
    }
    assert report["as_of"] == "2026-03-02" and report["weeks"] == ["2026-02-23", "2026-03-02"]
    rows = report["rows"]
    assert rows and all(set(row) >= DESIGN_KEYS | MORE_KEYS for row in rows)
    assert {row["week"] for row in rows} == {"2026-02-23", "2026-03-02"}
    assert sum(row["cards"] for row in rows) == _cards(book, SECOND)
    for day in (FIRST, SECOND):
        mine = [row for row in rows if row["week"] == day.isoformat()]
        actions = book.decided[day]
        assert sum(row["decided"] for row in mine) == len(actions)
        assert sum(row["dismissed"] for row in mine) == actions.count("dismissed")
        worth = len(actions) - actions.count("dismissed")
        assert sum(row["approvals"] for row in mine) == worth
        # known context, wrong timing and already handled are no threshold labels
        false_positives = 4 if day == FIRST else 1
        assert sum(row["labels"] for row in mine) == worth + false_positives
    for row in rows:
        if row["labels"]:
            assert 0 <= row["precision_low"] <= row["precision"] <= row["precision_high"] <= 1
        else:
            assert row["precision"] is None
    assert report["reviewer"]["source"] in ("defaults", "outcomes")
    assert [w["week"] for w in report["workload"]] == report["weeks"]
    assert sum(w["cards"] for w in report["workload"]) == _cards(book, SECOND)
    assert sum(w["decided"] for w in report["workload"]) == len(book.decided[FIRST]) + len(
        book.decided[SECOND]
    )
    edited = [e for e in report["edits"] if e["edited"]]
    assert sum(e["edited"] for e in edited) == book.decided[SECOND].count("edited") > 0
    assert all(e["edit_size_median"] > 0.5 for e in edited)  # "Hi, shall we talk?" rewrites a draft
    assert report["recall"][0]["segment"] == "all"


def test_decisions_store_the_cycle_day_and_the_trigger_figures(book: Book) -> None:
    with book.deps.session_factory() as session:
        records = list(session.scalars(select(OverrideRecord)))
    assert {r.cycle_day for r in records} == {FIRST, SECOND}
    assert all(r.segment and r.propensity == 1.0 and r.signal_id for r in records)
    low = [r for r in records if r.trigger == "health_low"]
    assert low and all(r.fired_value is not None and r.threshold == 60 and r.margin > 0 for r in low)  # type: ignore[operator]


def test_as_of_a_past_day_reports_what_was_known_then(book: Book) -> None:
    replayed = _report(book, as_of=FIRST + timedelta(days=4), weeks=1)
    assert replayed == book.early  # the second week's cycle and decisions change nothing in it
    assert replayed["weeks"] == ["2026-02-23"] and {row["week"] for row in replayed["rows"]} == {"2026-02-23"}
    assert sum(row["decided"] for row in replayed["rows"]) == len(book.decided[FIRST]) - 1
    assert sum(row["cards"] for row in replayed["rows"]) == _cards(book, FIRST)
    # Run later, the late decision counts in the week its card came from.
    later = [row for row in _report(book, as_of=SECOND)["rows"] if row["week"] == "2026-02-23"]
    assert sum(row["decided"] for row in later) == len(book.decided[FIRST])


def test_the_command_line_prints_the_report(cli: Run) -> None:
    code, out = cli("tune", "report", "--weeks", "3", "--as-of", "2026-03-02", "--format", "json")
    payload = json.loads(out)
    assert (
        code == 0 and payload["weeks"] == ["2026-02-16", "2026-02-23", "2026-03-02"] and payload["rows"] == []
    )
    code, out = cli("tune", "report", "--as-of", "2026-03-02")
    assert code == 0 and "Override analytics, 8 week(s)" in out and "Workload per week" in out
    code, out = cli("tune", "report", "--weeks", "0")
    assert code == 2 and "--weeks must be at least 1" in out
