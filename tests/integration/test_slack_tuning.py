"""Trigger tuning over signed Slack requests: the weekly message owed to ops once, Accept,
Shadow 2 weeks, Reject with a reason, Details and Roll back. Only ops and admins decide; a
second click changes nothing; every step is in the override log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from bot import scheduler
from bot.blocks.slack_dates import plain_dates
from bot.ids import TuningAction, TuningModal
from bot.tuning.propose import ProposalRun
from bot.workflows import tuning_message
from bot.workflows.tuning_message import owe_tuning_message, weekly_tuning
from scoring.config import config_to_dict, load_default_config
from scoring.learning.proposal_types import ConfigChange, apply_changes
from storage.db import transaction
from storage.models import OverrideRecord, SlackDelivery, TuningProposal, User
from storage.repositories import configs, tuning
from tests.conftest import Database
from tests.integration.slack_env import SlackEnv, slack_env
from tests.support.factories import AS_OF, NOW, OPS, OWNER
from tests.support.waiting import wait_for

ADMIN = "U0ADM001"
TITLE = "health_low × mid_market: fire below 55 instead of 60"
REPLAY = {
    "trigger": "health_low", "segment": "mid_market", "since": "2025-12-02", "as_of": "2026-03-02",
    "csms": 2, "weeks": 12.9, "cards_before": 40, "cards_after": 26, "stored_cards": 38,
    "per_csm_week_before": 1.6, "per_csm_week_after": 1.0,
    "removed": [{"card_id": 7, "account_id": "ACC-1", "day": "2026-02-10", "decision": "dismissed: false_positive"}],
    "removed_by_decision": {"dismissed: false_positive": 1}, "added_days": 0, "missed_churn": [],
}  # fmt: skip


@pytest.fixture
def env(db: Database) -> Iterator[SlackEnv]:
    with slack_env(db) as environment:
        with transaction(db.session_factory) as session:
            session.add(
                User(slack_id=ADMIN, name="Ada Admin", role="admin", timezone="UTC", digest_time="08:30")
            )
        yield environment


def _propose(env: SlackEnv) -> int:
    """Version 1 active, version 2 (health_low 60 → 55) stored inactive with its proposal."""
    body = config_to_dict(load_default_config())
    changes = [ConfigChange(("triggers", "health_low", "threshold"), 55)]
    with transaction(env.db.session_factory) as session:
        configs.ensure_active_config(session, default_body=body, author="tandem", now=NOW)
        version = configs.create_config_version(
            session, body=apply_changes(body, changes), author="tandem", now=NOW
        )
        row = tuning.add_proposal(
            session, key="threshold:health_low:mid_market", kind="threshold", trigger="health_low",
            segment="mid_market", title=TITLE, config_version=version.version, parent_version=1, author="tandem",
            evidence={"sentences": ["Of 40 cards below 60, people approved 3 between 55 and 60."],
                      "figures": {"precision": 0.12},
                      "changes": [{"path": ["triggers", "health_low", "threshold"], "value": 55, "op": "set"}]},
            replay=REPLAY, drift=None, cycle_day=AS_OF, created_at=NOW - timedelta(hours=1),
        )  # fmt: skip
        return row.id


def _run(env: SlackEnv, proposal_id: int) -> ProposalRun:
    with env.db.session_factory() as session:
        row = tuning.get_proposal(session, proposal_id=proposal_id)
        assert row is not None
        session.expunge(row)
    return ProposalRun(AS_OF, 1, unchanged=[row])


def _sent(env: SlackEnv, recipient: str = OPS) -> SlackDelivery:
    with env.db.session_factory() as session:
        rows = list(
            session.scalars(
                select(SlackDelivery).where(
                    SlackDelivery.kind == "tuning", SlackDelivery.recipient == recipient
                )
            )
        )
    assert len(rows) == 1 and rows[0].message_ts, rows
    return rows[0]


def _posted(env: SlackEnv, proposal_id: int) -> SlackDelivery:
    owe_tuning_message(env.deps, _run(env, proposal_id))
    tuning_message.deliver_notices(env.deps)
    return _sent(env)


def _click(
    env: SlackEnv, action: str, value: str, posted: SlackDelivery, *, user: str = OPS, hook: str = "hook"
) -> int:
    assert posted.channel_id and posted.message_ts
    reply = env.slack.block_action(
        action, value, user_id=user, channel_id=posted.channel_id, message_ts=posted.message_ts,
        response_url=env.api.response_url(hook), block_id=f"tuning-{value}-actions",
        message_blocks=list(posted.blocks or []),
    )  # fmt: skip
    return reply.status


def _updates(env: SlackEnv, posted: SlackDelivery) -> list[dict[str, Any]]:
    return [c.body for c in env.api.calls_to("chat.update") if c.body.get("ts") == posted.message_ts]


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


def _submit_reject(env: SlackEnv, metadata: str, reason: str, user: str = OPS) -> dict[str, Any]:
    values = {
        TuningModal.REASON_BLOCK: {TuningModal.REASON_INPUT: {"type": "plain_text_input", "value": reason}}
    }
    reply = env.slack.view_submission(
        TuningModal.REJECT_CALLBACK, private_metadata=metadata, values=values, user_id=user
    )
    assert reply.status == 200, reply.body
    return reply.json() if reply.body else {}


def test_the_weekly_message_reaches_each_ops_and_admin_user_once(
    env: SlackEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    proposal_id = _propose(env)
    monkeypatch.setattr(tuning_message, "run_proposals", lambda deps, as_of: _run(env, proposal_id))
    monkeypatch.setattr(scheduler, "_running", env.deps)
    scheduler.tuning_job()
    scheduler.tuning_job()  # the job run twice: the same key, owed and posted once
    first = weekly_tuning(env.deps, as_of=AS_OF)
    assert first.recipients == 2 and first.key and first.key.startswith("tuning:")
    posts = [
        c.body
        for c in env.api.calls_to("chat.postMessage")
        if str(c.body.get("text", "")).startswith("Trigger tuning")
    ]
    assert sorted(p["channel"] for p in posts) == [ADMIN, OPS]
    blocks = _blocks(posts[0])
    text = _dump(blocks)
    assert blocks[0]["type"] == "header" and "Trigger tuning" in text and TITLE in text
    assert "cards per CSM per week 1.6 → 1.0; 1 past cards removed (1 dismissed: false_positive)" in text
    assert "churned accounts missed: none" in text
    assert _buttons(blocks) == ["Accept", "Shadow 2 weeks", "Reject", "Details"]
    accept = next(
        e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["text"]["text"] == "Accept"
    )
    assert accept["style"] == "primary" and "confirm" in accept and accept["value"] == str(proposal_id)

    # Nothing waiting and no drift: nothing owed at all.
    before = len(env.api.calls_to("chat.postMessage"))
    monkeypatch.setattr(tuning_message, "run_proposals", lambda deps, as_of: ProposalRun(AS_OF, 1))
    assert weekly_tuning(env.deps, as_of=AS_OF + timedelta(days=7)).key is None
    assert len(env.api.calls_to("chat.postMessage")) == before
    with env.db.session_factory() as session:
        assert len(list(session.scalars(select(SlackDelivery).where(SlackDelivery.kind == "tuning")))) == 2


def test_ops_accepts_once_and_the_message_shows_who(env: SlackEnv) -> None:
    proposal_id = _propose(env)
    posted = _posted(env, proposal_id)
    assert _click(env, TuningAction.ACCEPT, str(proposal_id), posted, hook="accept") == 200
    update = wait_for(lambda: _updates(env, posted))[-1]
    text = _dump(_blocks(update))
    assert "Accepted by <@U0OPS001> on 2026-03-02: configuration v2 became active" in plain_dates(text)
    assert _buttons(_blocks(update)) == ["Roll back", "Details"]
    assert _active(env) == 2 and _proposal(env, proposal_id).state == "accepted"
    assert _steps(env) == [("tune_accepted", OPS)]

    # A second click (a double click, another ops user's copy): told privately, nothing changes.
    assert _click(env, TuningAction.ACCEPT, str(proposal_id), posted, user=OPS, hook="again") == 200
    told = wait_for(lambda: env.api.responses_at("again"))[-1].body
    assert "Already accepted by <@U0OPS001>" in told["text"] and told["response_type"] == "ephemeral"
    assert _steps(env) == [("tune_accepted", OPS)] and len(_updates(env, posted)) == 1


def test_a_csm_cannot_decide(env: SlackEnv) -> None:
    proposal_id = _propose(env)
    posted = _posted(env, proposal_id)
    for action in (TuningAction.ACCEPT, TuningAction.SHADOW, TuningAction.REJECT, TuningAction.DETAILS):
        assert _click(env, action, str(proposal_id), posted, user=OWNER, hook=f"csm-{action}") == 200
        told = wait_for(lambda action=action: env.api.responses_at(f"csm-{action}"))[-1].body
        assert "Only ops and admins" in told["text"] and told["response_type"] == "ephemeral"
    assert _active(env) == 1 and _proposal(env, proposal_id).state == "proposed"
    assert _steps(env) == [] and _updates(env, posted) == [] and env.api.calls_to("views.open") == []


def test_a_garbled_button_value_is_a_400(env: SlackEnv) -> None:
    proposal_id = _propose(env)
    posted = _posted(env, proposal_id)
    for value in ("abc", "-1", "0", "9" * 40, f"{proposal_id};drop"):
        assert _click(env, TuningAction.ACCEPT, value, posted) == 400
    assert _active(env) == 1 and _steps(env) == []


def test_reject_asks_for_a_reason_in_a_modal(env: SlackEnv) -> None:
    proposal_id = _propose(env)
    posted = _posted(env, proposal_id)
    assert _click(env, TuningAction.REJECT, str(proposal_id), posted) == 200
    opened = wait_for(lambda: env.api.calls_to("views.open"))[-1].body
    view = json.loads(opened["view"]) if isinstance(opened["view"], str) else opened["view"]
    assert view["callback_id"] == TuningModal.REJECT_CALLBACK
    metadata = view["private_metadata"]
    assert metadata == f"{proposal_id}|{posted.channel_id}|{posted.message_ts}"

    errors = _submit_reject(env, metadata, "   ")
    assert errors["response_action"] == "errors" and TuningModal.REASON_BLOCK in errors["errors"]
    assert _proposal(env, proposal_id).state == "proposed" and _steps(env) == []

    assert _submit_reject(env, metadata, "Q1 renewals: a quieter health_low now would hide them") == {}
    row = _proposal(env, proposal_id)
    assert (row.state, row.decided_by, row.reason) == (
        "rejected",
        OPS,
        "Q1 renewals: a quieter health_low now would hide them",
    )
    assert _steps(env) == [("tune_rejected", OPS)] and _active(env) == 1
    update = wait_for(lambda: _updates(env, posted))[-1]
    assert "Rejected by <@U0OPS001>" in _dump(_blocks(update)) and _buttons(_blocks(update)) == []

    # Submitted again (a double submit): a modal error, still one step.
    again = _submit_reject(env, metadata, "again")
    assert "Already rejected" in _dump(again) and _steps(env) == [("tune_rejected", OPS)]
    # Metadata that is not ours: 400.
    values = {
        TuningModal.REASON_BLOCK: {TuningModal.REASON_INPUT: {"type": "plain_text_input", "value": "x"}}
    }
    reply = env.slack.view_submission(
        TuningModal.REJECT_CALLBACK, private_metadata="1|nope|x", values=values, user_id=OPS
    )
    assert reply.status == 400


def test_shadow_runs_two_weeks(env: SlackEnv) -> None:
    proposal_id = _propose(env)
    posted = _posted(env, proposal_id)
    assert _click(env, TuningAction.SHADOW, str(proposal_id), posted) == 200
    update = wait_for(lambda: _updates(env, posted))[-1]
    row = _proposal(env, proposal_id)
    assert row.state == "shadowing" and row.shadow_until == date(2026, 3, 16) == NOW.date() + timedelta(
        days=14
    )
    assert "Shadowing until 2026-03-16" in plain_dates(_dump(_blocks(update)))
    assert _buttons(_blocks(update)) == ["Accept", "Reject", "Details"]
    assert _steps(env) == [("tune_shadowed", OPS)] and _active(env) == 1


def test_roll_back_returns_to_the_parent(env: SlackEnv) -> None:
    proposal_id = _propose(env)
    posted = _posted(env, proposal_id)
    _click(env, TuningAction.ACCEPT, str(proposal_id), posted)
    wait_for(lambda: _updates(env, posted))
    assert _active(env) == 2
    assert _click(env, TuningAction.ROLLBACK, str(proposal_id), posted, user=ADMIN) == 200
    update = wait_for(lambda: len(_updates(env, posted)) == 2 and _updates(env, posted))[-1]
    assert _active(env) == 1 and _proposal(env, proposal_id).state == "rolled_back"
    assert "Rolled back by <@U0ADM001>" in _dump(_blocks(update)) and _buttons(_blocks(update)) == []
    assert _steps(env) == [("tune_accepted", OPS), ("tune_rolled_back", ADMIN)]


def test_details_opens_the_replay_table(env: SlackEnv) -> None:
    proposal_id = _propose(env)
    posted = _posted(env, proposal_id)
    assert _click(env, TuningAction.DETAILS, str(proposal_id), posted) == 200
    opened = wait_for(lambda: env.api.calls_to("views.open"))[-1].body
    view = json.loads(opened["view"]) if isinstance(opened["view"], str) else opened["view"]
    text = _dump(view)
    assert "2026-02-10 · Acme Corp (ACC-1) · dismissed: false_positive" in text
    assert "cards: 40 → 26" in text and "Churned accounts it would have missed" in text
    assert _steps(env) == [] and _proposal(env, proposal_id).state == "proposed"


def test_ops_home_lists_the_proposals_with_their_buttons(env: SlackEnv) -> None:
    proposal_id = _propose(env)
    reply = env.slack.post(json.dumps({
        "type": "event_callback", "team_id": "T111", "api_app_id": "A111",
        "event": {"type": "app_home_opened", "user": OPS, "channel": "D111", "tab": "home"},
    }), content_type="application/json")  # fmt: skip
    assert reply.status == 200
    published = wait_for(lambda: env.api.calls_to("views.publish"))[-1].body
    view = json.loads(published["view"]) if isinstance(published["view"], str) else published["view"]
    assert "Trigger tuning" in _dump(view) and TITLE in _dump(view)
    assert _buttons(view["blocks"])[-4:] == ["Accept", "Shadow 2 weeks", "Reject", "Details"]

    # Accept from Home (no message to update): Home is published again with Roll back.
    before = len(env.api.calls_to("views.publish"))
    payload = {
        "type": "block_actions", "user": {"id": OPS, "username": "ops", "name": "ops", "team_id": "T111"},
        "api_app_id": "A111", "token": "unused", "container": {"type": "view", "view_id": "V1"},
        "trigger_id": "111.222.valid", "team": {"id": "T111", "domain": "tandem-test"},
        "view": {"id": "V1", "type": "home", "blocks": view["blocks"]},
        "actions": [{"action_id": TuningAction.ACCEPT, "block_id": f"tuning-{proposal_id}-actions",
                     "value": str(proposal_id), "type": "button", "action_ts": "1.2"}],
    }  # fmt: skip
    assert env.slack.post(urlencode({"payload": json.dumps(payload)})).status == 200
    home = wait_for(lambda: env.api.calls_to("views.publish")[before:])[-1].body
    home_view = json.loads(home["view"]) if isinstance(home["view"], str) else home["view"]
    assert "Roll back" in _buttons(home_view["blocks"]) and _active(env) == 2

    # A CSM's Home has no tuning section.
    env.slack.post(json.dumps({
        "type": "event_callback", "team_id": "T111", "api_app_id": "A111",
        "event": {"type": "app_home_opened", "user": OWNER, "channel": "D112", "tab": "home"},
    }), content_type="application/json")  # fmt: skip
    csm = wait_for(lambda: [c for c in env.api.calls_to("views.publish") if c.body.get("user_id") == OWNER])[
        -1
    ].body
    assert "Trigger tuning" not in _dump(csm)
