"""A signed state-changing request acts once: the same bytes sent again within the five minutes
Bolt accepts their timestamp (a replay, to this replica or another) are answered "already done"
and change nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from bot.app_factory import create_app
from bot.ids import CardMenu
from handlers import register_all
from storage.db import transaction
from storage.models import Account, EscalationCard, OverrideRecord, SeenSlackRequest, Signal
from storage.repositories.seen_requests import first_sighting
from tests.conftest import Database
from tests.integration.slack_env import SlackEnv, serving, slack_env
from tests.support.factories import MANAGER, OWNER
from tests.support.slack_requests import SlackSender
from tests.support.waiting import wait_for

ALREADY = "Already done"


@pytest.fixture
def env(db: Database) -> Iterator[SlackEnv]:
    with slack_env(db) as environment:
        yield environment


def command_body(env: SlackEnv, command: str, text: str, *, user: str = OWNER, hook: str = "h") -> str:
    return urlencode(
        {
            "token": "unused",
            "team_id": "T111",
            "team_domain": "tandem-test",
            "channel_id": "C111",
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "response_url": env.api.response_url(hook),
            "trigger_id": f"{time.time()}.1.x",
            "api_app_id": "A111",
        }
    )


def always_human(env: SlackEnv) -> bool:
    with env.db.session_factory() as session:
        account = session.get(Account, "ACC-1")
        assert account is not None
        return account.always_human


def test_a_veto_replayed_after_it_was_lifted_does_not_veto_again(env: SlackEnv) -> None:
    veto = command_body(env, "/veto", "Acme Corp: prefers a call")
    sent_at = int(time.time())
    first = env.slack.post(veto, timestamp=sent_at)
    assert first.status == 200 and "always human" in first.json()["text"] and always_human(env)
    lifted = env.slack.post(command_body(env, "/veto", "lift Acme Corp"))
    assert lifted.status == 200 and not always_human(env)

    time.sleep(1)  # "5 s later": the same signed bytes, still inside Bolt's five minutes
    replay = env.slack.post(veto, timestamp=sent_at)
    assert replay.status == 200 and replay.json()["text"].startswith(ALREADY)
    assert not always_human(env)
    assert env.count(OverrideRecord) == 2  # vetoed, lifted; the replay logged nothing


def test_a_replayed_flag_posts_no_second_card_and_runs_nothing(env: SlackEnv) -> None:
    flag = command_body(env, "/flag", "Acme Corp: champion left", user=MANAGER, hook="flag")
    sent_at = int(time.time())
    assert env.slack.post(flag, timestamp=sent_at).status == 200
    wait_for(lambda: env.api.responses_at("flag"))
    before = (env.count(Signal), env.count(EscalationCard), len(env.api.calls_to("chat.postMessage")))

    replay = env.slack.post(flag, timestamp=sent_at)
    assert replay.status == 200 and replay.json()["text"].startswith(ALREADY)
    time.sleep(0.5)  # a lazy half would have answered by now
    assert len(env.api.responses_at("flag")) == 1  # the lazy half never ran again
    after = (env.count(Signal), env.count(EscalationCard), len(env.api.calls_to("chat.postMessage")))
    assert after == before == (1, 1, 1)


def test_a_replay_to_another_replica_is_refused_too(env: SlackEnv) -> None:
    """Two app processes over one database: the record lives in the database, not in memory."""
    replica = create_app(env.deps)
    register_all(replica, env.deps)
    with serving(replica, env.db.session_factory) as server:
        other = SlackSender(f"http://127.0.0.1:{server.port}/slack/events", env.slack.secret)
        veto = command_body(env, "/veto", "Acme Corp: prefers a call")
        sent_at = int(time.time())
        assert "always human" in env.slack.post(veto, timestamp=sent_at).json()["text"]
        assert env.slack.post(command_body(env, "/veto", "lift Acme Corp")).status == 200
        replay = other.post(veto, timestamp=sent_at)
    assert replay.status == 200 and replay.json()["text"].startswith(ALREADY) and not always_human(env)


def test_a_replayed_always_human_click_does_not_veto_again(env: SlackEnv) -> None:
    card = env.post_card()
    payload_body = _menu_click(env, card.card_id, card.channel, card.ts)
    sent_at = int(time.time())
    assert env.slack.post(payload_body, timestamp=sent_at).status == 200
    wait_for(lambda: env.api.responses_at("menu"))
    assert always_human(env)
    assert env.slack.post(command_body(env, "/veto", "lift Acme Corp")).status == 200
    assert env.slack.post(payload_body, timestamp=sent_at).status == 200
    time.sleep(0.3)
    assert not always_human(env) and len(env.api.responses_at("menu")) == 1


def test_the_same_command_typed_again_is_a_new_request(env: SlackEnv) -> None:
    assert "always human" in env.slack.post(command_body(env, "/veto", "Acme Corp: x")).json()["text"]
    assert env.slack.post(command_body(env, "/veto", "lift Acme Corp")).status == 200
    again = env.slack.post(command_body(env, "/veto", "Acme Corp: x"))  # a new trigger_id, a new signature
    assert "always human" in again.json()["text"] and always_human(env)


def test_records_expire_when_bolt_would_refuse_the_timestamp_anyway(db: Database) -> None:
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    with transaction(db.session_factory) as session:
        assert first_sighting(session, fingerprint="a" * 64, kind="/veto", actor="U1", now=now,
                              expires_at=now + timedelta(minutes=6))  # fmt: skip
        assert not first_sighting(session, fingerprint="a" * 64, kind="/veto", actor="U1", now=now,
                                  expires_at=now + timedelta(minutes=6))  # fmt: skip
    later = now + timedelta(minutes=7)
    with transaction(db.session_factory) as session:
        assert first_sighting(session, fingerprint="b" * 64, kind="/flag", actor="U1", now=later,
                              expires_at=later + timedelta(minutes=6))  # fmt: skip
        assert list(session.scalars(select(SeenSlackRequest.fingerprint))) == ["b" * 64]
        assert session.scalar(select(func.count()).select_from(SeenSlackRequest)) == 1


def _menu_click(env: SlackEnv, card_id: int, channel: str, ts: str) -> str:
    payload = {
        "type": "block_actions",
        "user": {"id": OWNER, "username": "ana", "name": "ana", "team_id": "T111"},
        "api_app_id": "A111",
        "container": {"type": "message", "message_ts": ts, "channel_id": channel},
        "trigger_id": "111.222.valid",
        "team": {"id": "T111", "domain": "tandem-test"},
        "channel": {"id": channel, "name": "directmessage"},
        "response_url": env.api.response_url("menu"),
        "actions": [
            {
                "action_id": CardMenu.MORE,
                "block_id": "b",
                "type": "overflow",
                "selected_option": {
                    "text": {"type": "plain_text", "text": "Always human"},
                    "value": f"{CardMenu.VETO}:{card_id}",
                },
                "action_ts": "1.2",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})
