"""`/flag ACCOUNT: why` over signed HTTP: the missed account becomes a card for a person."""

from __future__ import annotations

import json
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
    assert _flag(env, "Acme Crop: typo", OWNER, "typo") == "No account matches 'Acme Crop'. Closest: Acme Corp (ACC-1)"
    assert "Say why" in _flag(env, "Acme Corp", OWNER, "why")
    with env.db.session_factory() as session:
        assert list(session.scalars(select(Signal))) == []
