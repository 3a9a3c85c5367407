"""`/flag ACCOUNT: why` over signed HTTP: the missed account becomes a card for a person."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.workflows.manual_flag import parse
from storage.models import EscalationCard, Signal
from tests.conftest import Database
from tests.integration.slack_env import SlackEnv, slack_env
from tests.support.factories import MANAGER, OTHER_CSM, OWNER
from tests.support.waiting import wait_for


@pytest.fixture
def env(db: Database) -> Iterator[SlackEnv]:
    with slack_env(db) as environment:
        yield environment


def _flag(env: SlackEnv, text: str, user: str, hook: str) -> str:
    reply = env.slack.slash_command(
        text, user_id=user, response_url=env.api.response_url(hook), command="/flag"
    )
    assert reply.status == 200
    answer = wait_for(lambda: [c for c in env.api.calls_to("response_url") if c.path.endswith(hook)])[0].body
    return str(answer["text"])


def test_parse_accepts_the_usual_separators() -> None:
    assert parse("Acme Corp: champion left") == ("Acme Corp", "champion left")
    assert parse("ACC-1 | usage looks off") == ("ACC-1", "usage looks off")
    assert parse("Acme Corp — renewal talk went badly") == ("Acme Corp", "renewal talk went badly")
    assert parse("Acme Corp") == ("Acme Corp", "")


def test_a_flag_becomes_a_human_card_in_the_owners_dm(env: SlackEnv) -> None:
    told = _flag(env, "Acme Corp: their champion left last week", MANAGER, "flag")
    assert "Flagged Acme Corp: a card is with <@U0CSM001> (human)" in told
    card_post = next(c.body for c in env.api.calls_to("chat.postMessage") if c.body["channel"] == OWNER)
    text = json.dumps(card_post["blocks"])
    assert "manual_flag" in text and "their champion left last week" in text and "Take over" in text
    assert f"Flagged by <@{MANAGER}>" in text  # Tandem's own mention of who flagged it, not text
    with env.db.session_factory() as session:
        signal = session.scalars(select(Signal).where(Signal.trigger == "manual_flag")).one()
        card = session.scalars(select(EscalationCard)).one()
    assert signal.route == "human" and signal.details["flagged_by"] == MANAGER
    assert signal.reasons["codes"][0] == "manual_flag" and card.recipient_slack_id == OWNER


def test_a_second_flag_the_same_day_adds_nothing(env: SlackEnv) -> None:
    _flag(env, "Acme Corp: first", OWNER, "one")
    told = _flag(env, "Acme Corp: second", OWNER, "two")
    assert "already flagged today" in told
    with env.db.session_factory() as session:
        assert len(list(session.scalars(select(EscalationCard)))) == 1


def test_refusals_name_what_is_wrong(env: SlackEnv) -> None:
    assert _flag(env, "Acme Corp: hm", OTHER_CSM, "intruder") == (
        "Only the CSM of Acme Corp, their manager, or ops can flag it. Nothing was changed."
    )
    assert (
        _flag(env, "Acme Crop: typo", OWNER, "typo")
        == "No account matches 'Acme Crop'. Closest: Acme Corp (ACC-1)"
    )
    assert "Say why" in _flag(env, "Acme Corp", OWNER, "why")
    with env.db.session_factory() as session:
        assert list(session.scalars(select(Signal))) == []


def test_a_failing_flag_tells_the_flagger_an_error_id_and_no_traceback(
    sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """Like /brief and /qbr: the database raising answers 200 and privately with an error id
    that the log line carries, and nothing else is said."""
    with slack_env(sqlite_db) as env:

        def broken() -> None:
            raise RuntimeError("secret internals")

        env.deps.session_factory = broken  # type: ignore[assignment]
        reply = env.slack.slash_command(
            "Acme Corp: their champion left",
            user_id=OWNER,
            response_url=env.api.response_url("x"),
            command="/flag",
        )
        assert reply.status == 200  # was 500: Slack added its own "dispatch failed"
        assert "secret internals" not in reply.body
        told = wait_for(lambda: env.api.responses_at("x"))[0].body
    assert len(env.api.responses_at("x")) == 1
    match = re.search(r"error id ([0-9a-f]{8})", told["text"])
    assert match is not None and told["response_type"] == "ephemeral"
    assert "secret internals" not in told["text"] and "Traceback" not in told["text"]
    assert any(match.group(1) in record.getMessage() and record.exc_info for record in caplog.records)
    assert env.api.calls_to("chat.postMessage") == []
