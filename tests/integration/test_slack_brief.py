"""`/brief` over signed HTTP: acknowledged within Slack's 3 seconds, answered privately."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator

import pytest

from prompts.drafting import BriefRequest, DraftRequest, DraftResult, TemplateDrafter
from storage.db import transaction
from tests.conftest import Database
from tests.integration.slack_env import SlackEnv, slack_env
from tests.support import factories
from tests.support.factories import MANAGER
from tests.support.waiting import wait_for


@pytest.fixture
def env(sqlite_db: Database) -> Iterator[SlackEnv]:
    with slack_env(sqlite_db) as environment:
        with transaction(sqlite_db.session_factory) as session:
            factories.add_account(session, "ACC-2", "Acme Labs")
            factories.add_account(session, "ACC-3", "Globex Retail")
        yield environment


class GatedDrafter(TemplateDrafter):
    """Writes briefs only once the test opens the gate: proves the ack did not wait for it."""

    def __init__(self) -> None:
        self.gate = threading.Event()

    def brief(self, request: BriefRequest) -> DraftResult:
        if not self.gate.wait(timeout=20):  # longer than the sender's 10 s HTTP timeout
            raise TimeoutError("the test never opened the gate")
        return super().brief(request)


def test_brief_is_acknowledged_before_it_is_written_then_answered_at_the_response_url(
    sqlite_db: Database,
) -> None:
    drafter = GatedDrafter()
    with slack_env(sqlite_db, drafter=drafter) as env:
        with transaction(sqlite_db.session_factory) as session:
            factories.add_account(session, "ACC-3", "Globex Retail")
        reply = env.slack.slash_command(
            "Globex  Retail", user_id=MANAGER, response_url=env.api.response_url("b")
        )
        assert reply.status == 200, "the ack must not wait for the (blocked) brief"
        assert reply.json() == {
            "text": "Preparing the brief for “Globex Retail”…",
            "response_type": "ephemeral",
        }
        assert env.api.responses_at("b") == []

        drafter.gate.set()
        answer = wait_for(lambda: env.api.responses_at("b"))[0].body
    assert answer["response_type"] == "ephemeral" and answer["text"] == "Brief: Globex Retail"
    text = json.dumps(answer["blocks"])
    assert "Globex Retail" in text and "ACC-3" in text and "Health" in text
    assert "Written by template" in text


def test_ambiguous_or_unknown_names_get_the_closest_matches(env: SlackEnv) -> None:
    env.slack.slash_command("acme", user_id=MANAGER, response_url=env.api.response_url("acme"))
    answer = wait_for(lambda: env.api.responses_at("acme"))[0].body
    assert answer["text"] == "No account matches 'acme'. Closest: Acme Corp (ACC-1), Acme Labs (ACC-2)"
    assert answer["response_type"] == "ephemeral"

    env.slack.slash_command("globx retial", user_id=MANAGER, response_url=env.api.response_url("typo"))
    typo = wait_for(lambda: env.api.responses_at("typo"))[0].body
    assert typo["text"] == "No account matches 'globx retial'. Closest: Globex Retail (ACC-3)"

    env.slack.slash_command("zzqx", user_id=MANAGER, response_url=env.api.response_url("none"))
    none = wait_for(lambda: env.api.responses_at("none"))[0].body
    assert none["text"].startswith("No account matches 'zzqx'.") and "Closest" not in none["text"]


def test_brief_without_an_account_explains_the_usage(env: SlackEnv) -> None:
    reply = env.slack.slash_command("  ", user_id=MANAGER, response_url=env.api.response_url("empty"))
    assert reply.status == 200 and reply.json()["text"].startswith("Usage: `/brief ACCOUNT`")
    assert reply.json()["response_type"] == "ephemeral"
    # The lazy half runs too; a later request's answer arriving first shows it said nothing.
    env.slack.slash_command("ACC-3", user_id=MANAGER, response_url=env.api.response_url("later"))
    wait_for(lambda: env.api.responses_at("later"))
    assert env.api.responses_at("empty") == []


class BrokenDrafter:
    def draft(self, request: DraftRequest) -> DraftResult:
        raise RuntimeError("secret internals")

    def brief(self, request: BriefRequest) -> DraftResult:
        raise RuntimeError("secret internals")


def test_a_failing_brief_tells_the_requester_an_error_id_and_no_traceback(
    sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    with slack_env(sqlite_db, drafter=BrokenDrafter()) as env:
        reply = env.slack.slash_command("Acme Corp", user_id=MANAGER, response_url=env.api.response_url("x"))
        assert reply.status == 200
        told = wait_for(lambda: env.api.responses_at("x"))[0].body
    match = re.search(r"error id ([0-9a-f]{8})", told["text"])
    assert match is not None and told["response_type"] == "ephemeral"
    assert "secret internals" not in told["text"] and "Traceback" not in told["text"]
    assert any(match.group(1) in record.getMessage() and record.exc_info for record in caplog.records)
