"""Drift: a cell whose dismiss rate shifts is flagged, re-runs the proposals between Mondays and
shows in ops' Trigger tuning message, once per flag."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.deps import Deps
from bot.posting import TerminalPoster
from bot.settings import Settings
from bot.tuning.propose import current_drift
from bot.workflows.tuning_message import drift_watch
from prompts.drafting import TemplateDrafter
from storage.db import transaction
from storage.models import Account, OverrideRecord, SlackDelivery
from storage.synthetic import generate_book
from tests.conftest import Database

AS_OF = date(2026, 3, 4)  # a Wednesday
WEEKS = 8


@pytest.fixture
def deps(db: Database) -> Iterator[Deps]:
    clock = FrozenClock(datetime.combine(AS_OF, time(7), tzinfo=UTC))
    deps = Deps(settings=Settings(), session_factory=db.session_factory, clock=clock,  # type: ignore[call-arg]
                drafter=TemplateDrafter(), poster=TerminalPoster(out=io.StringIO()))  # fmt: skip
    generate_book(db.session_factory, accounts=60, seed=7, as_of=AS_OF)
    yield deps


def _decisions(deps: Deps, *, segment: str, dismissed_share: list[float], per_week: int = 20) -> None:
    """`per_week` mid-market health_low card decisions a week, the given share dismissed, oldest week first."""
    with transaction(deps.session_factory) as session:
        account = session.scalars(select(Account.account_id).where(Account.segment == segment)).first()
        assert account is not None
        for week, share in enumerate(dismissed_share):
            day = AS_OF - timedelta(weeks=len(dismissed_share) - week)
            for n in range(per_week):
                dismissed = n < round(share * per_week)
                session.add(OverrideRecord(
                    account_id=account, trigger="health_low", proposed_route="assist", proposed_draft="",
                    action="dismissed" if dismissed else "approved",
                    reason_code="false_positive" if dismissed else None, actor_slack_id="U0CSM001",
                    at=datetime.combine(day, time(10), tzinfo=UTC), seconds_to_decide=600.0, cycle_day=day,
                    segment=segment, fired_value=55.0, threshold=60.0, margin=5.0, propensity=1.0,
                ))  # fmt: skip


def _messages(deps: Deps) -> list[SlackDelivery]:
    with deps.session_factory() as session:
        return list(session.scalars(select(SlackDelivery).where(SlackDelivery.kind == "tuning")))


def test_a_shift_in_dismissals_is_flagged_and_told_to_ops_once(deps: Deps) -> None:
    _decisions(deps, segment="mid_market", dismissed_share=[0.2] * (WEEKS - 2) + [0.7, 0.75])
    flags = current_drift(deps, as_of=AS_OF)
    assert [(f.trigger, f.segment) for f in flags] == [("health_low", "mid_market")]
    assert flags[0].drift.recent_rate > flags[0].drift.before_rate
    owed = drift_watch(deps, as_of=AS_OF)
    assert owed is not None and owed.key and owed.recipients >= 1
    messages = _messages(deps)
    assert messages and all("health_low × mid_market: dismissals went up" in str(m.blocks) for m in messages)
    again = drift_watch(deps, as_of=AS_OF + timedelta(days=1))
    assert again is not None and again.key == owed.key
    assert len(_messages(deps)) == len(messages)  # the same flag is not told twice


def test_steady_dismissals_raise_no_flag_and_tell_no_one(deps: Deps) -> None:
    _decisions(deps, segment="mid_market", dismissed_share=[0.3] * WEEKS)
    assert current_drift(deps, as_of=AS_OF) == []
    assert drift_watch(deps, as_of=AS_OF) is None
    assert _messages(deps) == []
