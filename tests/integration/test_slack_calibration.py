"""A calibration proposal over signed Slack requests: one message to each ops and admin user with
the reliability diagram uploaded into its thread, Accept (a new active version; a CSM refused; a
second click changes nothing), Reject with a reason, Roll back to the parent, Details."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.blocks.slack_dates import plain_dates
from bot.charts import PNG_MAGIC
from bot.clock import FrozenClock
from bot.delivery.notices import deliver_notices
from bot.deps import Deps
from bot.ids import TuningAction, TuningModal
from bot.posting import TerminalPoster
from bot.settings import Settings
from bot.tuning import decisions
from bot.tuning.calibration_proposal import propose_calibration
from prompts.drafting import TemplateDrafter
from scoring.config import config_to_dict, load_default_config
from scoring.learning.proposal_types import ConfigChange, apply_changes
from scoring.signal_calibration import SignalCalibration
from storage.db import transaction
from storage.models import OverrideRecord, SlackDelivery, TuningProposal, User
from storage.repositories import configs, tuning
from tests.conftest import Database
from tests.integration.slack_env import SlackEnv, slack_env
from tests.support import factories
from tests.support.calibration_reports import (
    MODEL,
    NOTE,
    TICKETS,
    UTILISATION,
    calibrated_body,
    signal_report,
)
from tests.support.factories import NOW, OPS, OWNER
from tests.support.waiting import wait_for

ADMIN = "U0ADM001"


@pytest.fixture
def env(db: Database) -> Iterator[SlackEnv]:
    with slack_env(db) as environment:
        with transaction(db.session_factory) as session:
            session.add(
                User(slack_id=ADMIN, name="Ada Admin", role="admin", timezone="UTC", digest_time="08:30")
            )
            configs.ensure_active_config(
                session, default_body=config_to_dict(load_default_config()), author="tandem", now=NOW
            )
        yield environment


def _version(env: SlackEnv, report: SignalCalibration) -> int:
    """What `calibrate` stores: the active body with the report's model and bands, inactive."""
    with transaction(env.db.session_factory) as session:
        active = configs.active_config(session)
        assert active is not None
        row = configs.create_config_version(
            session, body=calibrated_body(active.body, report), author="calibrate", now=NOW
        )
        return row.version


def _propose(env: SlackEnv, report: SignalCalibration | None = None) -> int:
    report = report or signal_report()
    proposal_id = propose_calibration(env.deps, report=report, proposed_version=_version(env, report),
                                      parent_version=_active(env))  # fmt: skip
    assert proposal_id is not None
    return proposal_id


def _sent(env: SlackEnv, recipient: str = OPS, kind: str = "calibration") -> list[SlackDelivery]:
    with env.db.session_factory() as session:
        return list(
            session.scalars(
                select(SlackDelivery)
                .where(SlackDelivery.kind == kind, SlackDelivery.recipient == recipient)
                .order_by(SlackDelivery.id)
            )
        )


def _message(env: SlackEnv, recipient: str = OPS) -> SlackDelivery:
    rows = _sent(env, recipient)
    assert rows and rows[-1].message_ts, rows
    return rows[-1]


def _click(env: SlackEnv, action: str, proposal_id: int, posted: SlackDelivery, *, user: str = OPS,
           hook: str = "hook") -> int:  # fmt: skip
    assert posted.channel_id and posted.message_ts
    reply = env.slack.block_action(
        action, str(proposal_id), user_id=user, channel_id=posted.channel_id, message_ts=posted.message_ts,
        response_url=env.api.response_url(hook), block_id=f"tuning-{proposal_id}-actions",
        message_blocks=list(posted.blocks or []),
    )  # fmt: skip
    return reply.status


def _blocks(body: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = body["blocks"]
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _buttons(blocks: list[dict[str, Any]]) -> list[str]:
    """The tuning buttons (App Home also holds other sections' buttons and menus)."""
    return [
        e["text"]["text"]
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if str(e.get("action_id", "")).startswith("tuning-")
    ]


def _updates(env: SlackEnv, posted: SlackDelivery) -> list[dict[str, Any]]:
    return [c.body for c in env.api.calls_to("chat.update") if c.body.get("ts") == posted.message_ts]


def _posts(env: SlackEnv) -> list[dict[str, Any]]:
    return [
        c.body
        for c in env.api.calls_to("chat.postMessage")
        if str(c.body.get("text", "")).startswith("Health score calibration")
    ]


def _steps(env: SlackEnv) -> list[tuple[str, str]]:
    with env.db.session_factory() as session:
        rows = session.scalars(select(OverrideRecord).order_by(OverrideRecord.id))
        return [(r.action, r.actor_slack_id) for r in rows if r.action.startswith("tune_")]


def _proposal(env: SlackEnv, proposal_id: int) -> TuningProposal:
    with env.db.session_factory() as session:
        row = tuning.get_proposal(session, proposal_id=proposal_id)
        assert row is not None
        return row


def _active(env: SlackEnv) -> int:
    with env.db.session_factory() as session:
        row = configs.active_config(session)
        assert row is not None
        return row.version


def _active_body(env: SlackEnv) -> dict[str, Any]:
    with env.db.session_factory() as session:
        row = configs.active_config(session)
        assert row is not None
        return dict(row.body)


def _opened_view(env: SlackEnv) -> dict[str, Any]:
    opened = wait_for(lambda: env.api.calls_to("views.open"))[-1].body
    return json.loads(opened["view"]) if isinstance(opened["view"], str) else dict(opened["view"])


def test_proposing_posts_one_message_to_each_decider_with_the_chart_in_its_thread(env: SlackEnv) -> None:
    proposal_id = _propose(env)
    posts = _posts(env)
    assert sorted(p["channel"] for p in posts) == [ADMIN, OPS]
    shown = _dump(_blocks(posts[0]))
    assert posts[0]["text"] == "Health score calibration #1 waiting for ops: backtest ROC-AUC 0.499 → 0.755"
    assert (
        "Backtest ROC-AUC: *0.755* proposed · 0.499 current · 0.742 reference — 102% of the reference"
        in shown
    )
    assert "Gain over the current score: *+0.256* (95% interval +0.228 to +0.282)" in shown
    assert UTILISATION in shown and TICKETS in shown
    assert "Red below 16" in shown and "Green from 38" in shown and "(v1 → v2)" in shown
    assert _buttons(_blocks(posts[0])) == ["Accept", "Reject", "Details"]

    # The reliability diagram: one PNG in each message's thread, in the DM the message landed in.
    assert len(env.api.shared) == 2
    for recipient in (OPS, ADMIN):
        message = _message(env, recipient)
        chart = next(f for f in env.api.shared if f.channel_id == message.channel_id)
        assert chart.thread_ts == message.message_ts and chart.data.startswith(PNG_MAGIC)
        assert chart.filename == f"calibration-{proposal_id}-reliability.png"
        assert [row.state for row in _sent(env, message.channel_id or "", "calibration_chart")] == ["sent"]

    row = _proposal(env, proposal_id)
    assert (row.kind, row.key, row.trigger, row.state, row.config_version, row.parent_version) == (
        "calibration", "calibration:score", "score", "proposed", 2, 1,
    )  # fmt: skip
    assert row.evidence["figures"]["roc_auc"] == {"current": 0.4989, "proposed": 0.7554, "reference": 0.7416}
    assert row.evidence["sentences"] == [UTILISATION, TICKETS] and row.evidence["notes"] == [NOTE]
    assert [tuple(c["path"]) for c in row.evidence["changes"]] == [
        ("bands",), ("signal_model",), ("triggers", "expansion_ready", "min_health"),
        ("triggers", "health_low", "threshold"),
    ]  # fmt: skip
    assert _steps(env) == [("tune_proposed", "calibrate")]

    # Proposed again for the same version (a rerun) and delivered again: nothing new in Slack.
    again = propose_calibration(env.deps, report=signal_report(), proposed_version=2, parent_version=1)
    deliver_notices(env.deps)
    assert again == proposal_id and len(_posts(env)) == 2 and len(env.api.shared) == 2
    assert len(env.api.calls_to("files.getUploadURLExternal")) == 2 and env.api.posts_tagged()
    assert all(count == 1 for count in env.api.posts_tagged().values())


def test_a_report_that_proposes_nothing_tells_no_one(env: SlackEnv) -> None:
    report = signal_report(proposed=False, model=None, verdict="Not proposed: within noise.")
    assert propose_calibration(env.deps, report=report, proposed_version=2, parent_version=1) is None
    assert _posts(env) == [] and env.api.shared == [] and _steps(env) == []
    with pytest.raises(ValueError, match="no configuration v9"):
        propose_calibration(env.deps, report=signal_report(), proposed_version=9, parent_version=1)


def test_ops_accepts_once_and_a_csm_cannot(env: SlackEnv) -> None:
    proposal_id = _propose(env)
    posted = _message(env)
    for action in (TuningAction.ACCEPT, TuningAction.REJECT, TuningAction.CALIBRATION_DETAILS):
        assert _click(env, action, proposal_id, posted, user=OWNER, hook=f"csm-{action}") == 200
        told = wait_for(lambda action=action: env.api.responses_at(f"csm-{action}"))[-1].body
        assert "Only ops and admins" in told["text"] and told["response_type"] == "ephemeral"
    assert _active(env) == 1 and _proposal(env, proposal_id).state == "proposed"
    assert _updates(env, posted) == [] and env.api.calls_to("views.open") == []

    assert _click(env, TuningAction.ACCEPT, proposal_id, posted, hook="accept") == 200
    update = wait_for(lambda: _updates(env, posted))[-1]
    assert "Accepted by <@U0OPS001> on 2026-03-02: configuration v2 became active" in plain_dates(
        _dump(_blocks(update))
    )
    assert _buttons(_blocks(update)) == ["Roll back", "Details"]
    assert _active(env) == 2 and _proposal(env, proposal_id).state == "accepted"
    assert _active_body(env)["signal_model"] == MODEL.model_dump(mode="json")
    assert _active_body(env)["bands"] == {"yellow": 16, "green": 38}

    # A double click, or the admin's copy clicked after: told privately, nothing changes.
    assert _click(env, TuningAction.ACCEPT, proposal_id, posted, hook="again") == 200
    told = wait_for(lambda: env.api.responses_at("again"))[-1].body
    assert "Already accepted by <@U0OPS001>" in told["text"] and told["response_type"] == "ephemeral"
    assert (
        _click(env, TuningAction.ACCEPT, proposal_id, _message(env, ADMIN), user=ADMIN, hook="admin") == 200
    )
    assert "Already accepted" in wait_for(lambda: env.api.responses_at("admin"))[-1].body["text"]
    assert _steps(env) == [("tune_proposed", "calibrate"), ("tune_accepted", OPS)]
    with env.db.session_factory() as session:  # the kind in full (migration 0015 widened the column)
        kinds = set(
            session.scalars(select(OverrideRecord.proposed_route).where(OverrideRecord.account_id.is_(None)))
        )
    assert kinds == {"calibration"}
    assert len(_updates(env, posted)) == 1 and _active(env) == 2


def test_reject_asks_for_a_reason(env: SlackEnv) -> None:
    proposal_id = _propose(env)
    posted = _message(env)
    assert _click(env, TuningAction.REJECT, proposal_id, posted) == 200
    view = _opened_view(env)
    assert view["callback_id"] == TuningModal.REJECT_CALLBACK
    values = {
        TuningModal.REASON_BLOCK: {
            TuningModal.REASON_INPUT: {"type": "plain_text_input", "value": "Q1 data had a billing outage"}
        }
    }
    reply = env.slack.view_submission(
        TuningModal.REJECT_CALLBACK, private_metadata=view["private_metadata"], values=values, user_id=OPS
    )
    assert reply.status == 200 and not reply.body
    row = _proposal(env, proposal_id)
    assert (row.state, row.decided_by, row.reason) == ("rejected", OPS, "Q1 data had a billing outage")
    update = wait_for(lambda: _updates(env, posted))[-1]
    assert "Rejected by <@U0OPS001>" in _dump(_blocks(update)) and _buttons(_blocks(update)) == ["Details"]
    assert _active(env) == 1 and _steps(env)[-1] == ("tune_rejected", OPS)


def test_roll_back_reactivates_the_parent_in_one_click(env: SlackEnv) -> None:
    proposal_id = _propose(env)
    posted = _message(env)
    _click(env, TuningAction.ACCEPT, proposal_id, posted)
    wait_for(lambda: _updates(env, posted))
    assert _active(env) == 2
    assert _click(env, TuningAction.ROLLBACK, proposal_id, posted, user=ADMIN) == 200
    update = wait_for(lambda: len(_updates(env, posted)) == 2 and _updates(env, posted))[-1]
    assert _active(env) == 1 and _proposal(env, proposal_id).state == "rolled_back"
    assert "Rolled back by <@U0ADM001>" in _dump(_blocks(update)) and _buttons(_blocks(update)) == ["Details"]
    assert _steps(env)[-2:] == [("tune_accepted", OPS), ("tune_rolled_back", ADMIN)]
    assert _active_body(env)["signal_model"]["shapes"] == []


def test_details_shows_every_finding_the_backtest_churn_by_band_and_the_notes(env: SlackEnv) -> None:
    proposal_id = _propose(env)
    assert _click(env, TuningAction.CALIBRATION_DETAILS, proposal_id, _message(env)) == 200
    view = _opened_view(env)
    shown = _dump(view)
    assert view["callback_id"] == TuningModal.CALIBRATION_DETAILS_CALLBACK
    assert UTILISATION in shown and TICKETS in shown and NOTE in shown
    assert "Fitted on the 5,600 samples whose outcome was known before 2025-09-30" in shown
    assert "Red: 214 churned of 436 (49.1%)" in shown
    assert _proposal(env, proposal_id).state == "proposed" and _steps(env) == [("tune_proposed", "calibrate")]


def test_accept_after_another_version_became_active_keeps_that_versions_change(env: SlackEnv) -> None:
    proposal_id = _propose(env)
    with transaction(env.db.session_factory) as session:  # ops moved a line meanwhile: v3 active
        moved = apply_changes(
            _active_body(env), [ConfigChange(("triggers", "health_drop", "drop_fraction"), 0.3)]
        )
        configs.activate(session, version=configs.create_config_version(session, body=moved, author=OPS,
                                                                         now=NOW).version)  # fmt: skip
    outcome = decisions.accept(env.deps, proposal_id=proposal_id, actor=OPS)
    assert outcome.ok and outcome.active_version == 4 == _active(env)
    body = _active_body(env)
    assert body["triggers"]["health_drop"]["drop_fraction"] == 0.3
    assert body["signal_model"] == MODEL.model_dump(mode="json") and body["bands"] == {
        "yellow": 16,
        "green": 38,
    }
    assert body["triggers"]["health_low"]["threshold"] == 16
    # Roll back reverts the calibration's own changes on top of what is active, keeping v3's.
    assert decisions.rollback(env.deps, proposal_id=proposal_id, actor=OPS).ok
    body = _active_body(env)
    assert body["triggers"]["health_drop"]["drop_fraction"] == 0.3 and body["signal_model"]["shapes"] == []
    assert body["bands"] == {"yellow": 60, "green": 75}


def test_a_newer_calibration_supersedes_the_waiting_one(env: SlackEnv) -> None:
    first = _propose(env)
    old = _message(env)
    second = _propose(env, signal_report(yellow=20, green=40))
    assert _proposal(env, first).state == "superseded" and _proposal(env, second).state == "proposed"
    assert _proposal(env, second).parent_version == 1
    update = _updates(env, old)[-1]
    assert "A newer calibration took its place." in _dump(_blocks(update)) and _buttons(_blocks(update)) == [
        "Details"
    ]
    assert _click(env, TuningAction.ACCEPT, first, old, hook="old") == 200
    assert "Already superseded" in wait_for(lambda: env.api.responses_at("old"))[-1].body["text"]
    assert _active(env) == 1 and len(_posts(env)) == 4 and len(env.api.shared) == 4


def test_a_calibration_is_not_shadowed(env: SlackEnv) -> None:
    proposal_id = _propose(env)
    outcome = decisions.shadow(env.deps, proposal_id=proposal_id, actor=OPS)
    assert not outcome.ok and "nothing to shadow" in outcome.message
    assert _proposal(env, proposal_id).state == "proposed"


def test_a_chart_upload_that_fails_is_retried_and_the_message_is_not_posted_again(env: SlackEnv) -> None:
    env.api.fail_calls_to("files.getUploadURLExternal", 500, times=6)  # the client retries a 500 twice
    _propose(env)
    assert len(_posts(env)) == 2 and env.api.shared == []
    charts = _sent(env, _message(env).channel_id or "", "calibration_chart")
    assert [c.state for c in charts] == ["queued"] and charts[0].last_error
    env.deps.clock.advance(seconds=3600)  # type: ignore[attr-defined]
    deliver_notices(env.deps)
    assert len(_posts(env)) == 2 and len(env.api.shared) == 2
    assert all(f.data.startswith(PNG_MAGIC) for f in env.api.shared)


def test_ops_home_lists_the_calibration_with_its_buttons(env: SlackEnv) -> None:
    proposal_id = _propose(env)
    reply = env.slack.post(json.dumps({
        "type": "event_callback", "team_id": "T111", "api_app_id": "A111",
        "event": {"type": "app_home_opened", "user": OPS, "channel": "D111", "tab": "home"},
    }), content_type="application/json")  # fmt: skip
    assert reply.status == 200
    published = wait_for(lambda: env.api.calls_to("views.publish"))[-1].body
    view = json.loads(published["view"]) if isinstance(published["view"], str) else published["view"]
    shown = _dump(view)
    assert f"#{proposal_id} Calibrated health score" in shown and "Gain over the current score" in shown
    assert _buttons(view["blocks"])[-3:] == ["Accept", "Reject", "Details"]


def test_without_slack_the_message_stays_owed_and_nothing_is_printed(sqlite_db: Database) -> None:
    out = io.StringIO()
    deps = Deps(settings=Settings(), session_factory=sqlite_db.session_factory, clock=FrozenClock(NOW),  # type: ignore[call-arg]
                drafter=TemplateDrafter(), poster=TerminalPoster(out=out))  # fmt: skip
    with transaction(sqlite_db.session_factory) as session:
        factories.add_people(session)
        active = configs.ensure_active_config(
            session, default_body=config_to_dict(load_default_config()), author="tandem", now=NOW
        )
        version = configs.create_config_version(
            session, body=calibrated_body(active.body, signal_report()), author="calibrate", now=NOW
        ).version
    proposal_id = propose_calibration(
        deps, report=signal_report(), proposed_version=version, parent_version=1
    )
    assert proposal_id is not None and out.getvalue() == ""
    with sqlite_db.session_factory() as session:
        owed = list(session.scalars(select(SlackDelivery).where(SlackDelivery.kind == "calibration")))
    assert [row.state for row in owed] == ["queued"] and {row.recipient for row in owed} == {OPS}
