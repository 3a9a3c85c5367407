"""Ops decides tuning proposals: accept, shadow, reject, roll back; only ops; every step logged.

The Slack buttons call the same functions (tests/integration/test_slack_tuning.py clicks them);
here they run directly and through the command line, on both databases.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.deps import Deps
from bot.posting import TerminalPoster
from bot.settings import Settings
from bot.tuning import decisions
from bot.workflows.cycle import active_trigger_config, run_cycle
from prompts.drafting import TemplateDrafter
from scoring.config import TriggerConfig, config_to_dict
from scoring.learning.proposal_types import ConfigChange, apply_changes
from scoring.types import TriggerKey
from storage.db import transaction
from storage.enums import ProposalState
from storage.models import OverrideRecord, SlackDelivery, TuningProposal
from storage.repositories import configs, tuning
from storage.synthetic import generate_book
from tests.conftest import Database
from tests.integration.conftest import Run

DAY = date(2026, 3, 2)
OPS = "U0OPS001"
CSM = "U0CSM001"


@pytest.fixture
def deps(db: Database) -> Iterator[Deps]:
    clock = FrozenClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    deps = Deps(settings=Settings(), session_factory=db.session_factory, clock=clock,  # type: ignore[call-arg]
                drafter=TemplateDrafter(), poster=TerminalPoster(out=io.StringIO()))  # fmt: skip
    generate_book(db.session_factory, accounts=120, seed=7, as_of=DAY + timedelta(days=20))
    yield deps


def _propose(deps: Deps, segment: str, line: int) -> int:
    """A stored proposal, as `tune propose` leaves one: an inactive version made from the active one."""
    parent, config = active_trigger_config(deps)
    change = ConfigChange(("triggers", "segment_lines", segment, "health_low"), line)
    body = apply_changes(config_to_dict(config), [change])
    with transaction(deps.session_factory) as session:
        version = configs.create_config_version(session, body=body, author="tandem", now=deps.clock.now())
        row = tuning.add_proposal(
            session, key=f"threshold:health_low:{segment}", kind="threshold", trigger="health_low",
            segment=segment, title=f"Tighten health_low for {segment}: fires below {line} (now 60)",
            config_version=version.version, parent_version=parent, author="tandem",
            evidence={"sentences": [], "figures": {}, "changes": [{"path": list(change.path), "value": line, "op": "set"}]},
            replay={"kind": "threshold"}, drift=None, cycle_day=DAY, created_at=deps.clock.now(),
        )  # fmt: skip
        return row.id


def _active(deps: Deps) -> tuple[int, TriggerConfig]:
    return active_trigger_config(deps)


def _steps(deps: Deps) -> list[tuple[str, str]]:
    with deps.session_factory() as session:
        query = select(OverrideRecord.action, OverrideRecord.actor_slack_id).where(
            OverrideRecord.action.like("tune_%")
        )
        return [(a, b) for a, b in session.execute(query.order_by(OverrideRecord.id))]


def _row(deps: Deps, proposal_id: int) -> TuningProposal:
    with deps.session_factory() as session:
        row = session.get(TuningProposal, proposal_id)
        assert row is not None
        return row


def test_ops_accepts_once_and_the_proposal_version_becomes_active(deps: Deps) -> None:
    proposal = _propose(deps, "smb", 52)
    first = decisions.accept(deps, proposal_id=proposal, actor=OPS)
    again = decisions.accept(deps, proposal_id=proposal, actor=OPS)
    assert first.ok and not again.ok and again.message.startswith("Already accepted by <@U0OPS001>")
    version, config = _active(deps)
    assert version == _row(deps, proposal).config_version == first.active_version
    assert config.triggers.line(TriggerKey.HEALTH_LOW, "smb") == 52
    assert config.triggers.line(TriggerKey.HEALTH_LOW, "enterprise") == 60
    assert _steps(deps) == [("tune_accepted", OPS)]


def test_only_ops_and_admins_decide(deps: Deps) -> None:
    proposal = _propose(deps, "smb", 52)
    before = _active(deps)[0]
    for decide in (
        lambda: decisions.accept(deps, proposal_id=proposal, actor=CSM),
        lambda: decisions.shadow(deps, proposal_id=proposal, actor=CSM),
        lambda: decisions.reject(deps, proposal_id=proposal, actor=CSM, reason="no"),
    ):
        outcome = decide()
        assert not outcome.ok and outcome.message == decisions.NOT_OPS
    assert _active(deps)[0] == before and _row(deps, proposal).state == ProposalState.PROPOSED
    assert _steps(deps) == []


def test_a_rejection_needs_a_reason_and_keeps_it(deps: Deps) -> None:
    proposal = _propose(deps, "smb", 52)
    assert not decisions.reject(deps, proposal_id=proposal, actor=OPS, reason="  ").ok
    outcome = decisions.reject(deps, proposal_id=proposal, actor=OPS, reason="SMB renewals are in March")
    assert outcome.ok and _row(deps, proposal).reason == "SMB renewals are in March"
    assert not decisions.accept(deps, proposal_id=proposal, actor=OPS).ok  # rejected stays rejected
    assert _steps(deps) == [("tune_rejected", OPS)]


def test_roll_back_returns_to_the_parent(deps: Deps) -> None:
    parent = _active(deps)[0]
    proposal = _propose(deps, "smb", 52)
    assert not decisions.rollback(deps, proposal_id=proposal, actor=OPS).ok  # not accepted yet
    decisions.accept(deps, proposal_id=proposal, actor=OPS)
    outcome = decisions.rollback(deps, proposal_id=proposal, actor=OPS)
    assert outcome.ok and _active(deps)[0] == parent and outcome.active_version == parent
    assert not decisions.rollback(deps, proposal_id=proposal, actor=OPS).ok  # a second click changes nothing
    assert [a for a, _ in _steps(deps)] == ["tune_accepted", "tune_rolled_back"]


def test_accepting_one_never_undoes_another_and_rolling_back_reverts_only_its_own(deps: Deps) -> None:
    smb = _propose(deps, "smb", 52)
    mid = _propose(deps, "mid_market", 55)  # made from the same parent
    decisions.accept(deps, proposal_id=smb, actor=OPS)
    decisions.accept(deps, proposal_id=mid, actor=OPS)  # rebased on the version smb made active
    _, config = _active(deps)
    assert config.triggers.line(TriggerKey.HEALTH_LOW, "smb") == 52
    assert config.triggers.line(TriggerKey.HEALTH_LOW, "mid_market") == 55
    decisions.rollback(deps, proposal_id=smb, actor=OPS)
    _, config = _active(deps)
    assert config.triggers.line(TriggerKey.HEALTH_LOW, "smb") == 60
    assert config.triggers.line(TriggerKey.HEALTH_LOW, "mid_market") == 55


def test_rolling_back_a_rebased_proposal_keeps_what_was_accepted_before_it(deps: Deps) -> None:
    smb = _propose(deps, "smb", 52)
    mid = _propose(deps, "mid_market", 55)  # made from the same parent
    decisions.accept(deps, proposal_id=smb, actor=OPS)
    smb_version = _active(deps)[0]
    decisions.accept(deps, proposal_id=mid, actor=OPS)  # rebased: its parent is now smb's version
    assert _row(deps, mid).parent_version == smb_version
    outcome = decisions.rollback(deps, proposal_id=mid, actor=OPS)
    assert outcome.ok and outcome.active_version == smb_version
    _, config = _active(deps)
    assert config.triggers.line(TriggerKey.HEALTH_LOW, "smb") == 52
    assert config.triggers.line(TriggerKey.HEALTH_LOW, "mid_market") == 60


def test_shadow_counts_what_the_proposal_would_post_and_reports_when_it_ends(deps: Deps) -> None:
    proposal = _propose(deps, "smb", 40)
    outcome = decisions.shadow(deps, proposal_id=proposal, actor=OPS)
    assert outcome.ok and _row(deps, proposal).shadow_until == DAY + timedelta(days=14)
    active_before = _active(deps)[0]
    assert isinstance(deps.clock, FrozenClock)
    for day in (DAY, DAY + timedelta(days=14)):
        deps.clock.current = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=6)
        run_cycle(deps, as_of=day)
    row = _row(deps, proposal)
    days: list[dict[str, Any]] = (row.shadow_report or {})["days"]
    assert [d["day"] for d in days] == [DAY.isoformat(), (DAY + timedelta(days=14)).isoformat()]
    assert days[0]["active_cards"] > days[0]["shadow_cards"]  # a line at 40 quiets part of SMB health_low
    assert all(set(d["only_shadow"]) == set() for d in days)
    assert (
        row.state == ProposalState.SHADOWING and _active(deps)[0] == active_before
    )  # nothing posted or changed
    assert [a for a, _ in _steps(deps)] == ["tune_shadowed", "tune_shadow_ended"]
    with deps.session_factory() as session:
        keys = list(
            session.scalars(select(SlackDelivery.key).where(SlackDelivery.key.like("tuning-shadow-ended%")))
        )
    assert keys and all(key.startswith(f"tuning-shadow-ended:{proposal}:") for key in keys)


def test_the_command_line_decides_and_names_what_is_wrong(cli: Run) -> None:
    code, out = cli("seed", "--accounts", "60", "--as-of", "2026-03-02")
    assert code == 0
    code, out = cli("tune", "propose", "--as-of", "2026-03-02", "--json")
    assert code == 0 and '"proposals": []' in out
    code, out = cli("tune", "accept", "99")
    assert code == 1 and out.strip() == "No tuning proposal #99."
    with pytest.raises(SystemExit):
        cli("tune", "reject", "99")  # --reason is required
