"""`/brief` over signed HTTP: acknowledged within Slack's 3 seconds, answered privately to those
who may see the account, through the template or the LLM (and the cache for the same facts)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from prompts.drafting import BriefRequest, DraftRequest, DraftResult, TemplateDrafter, make_drafter
from storage.db import transaction
from storage.models import Draft
from tests.conftest import Database
from tests.integration.slack_env import SlackEnv, slack_env
from tests.support import factories
from tests.support.factories import MANAGER, OPS, OTHER_CSM, OTHER_MANAGER, OWNER
from tests.support.fake_models import grounded
from tests.support.openai_server import FakeOpenAI
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


def test_a_failing_drafter_still_answers_with_the_template_brief_flagged_for_review(
    sqlite_db: Database,
) -> None:
    with slack_env(sqlite_db, drafter=BrokenDrafter()) as env:  # type: ignore[arg-type]
        env.slack.slash_command("Acme Corp", user_id=MANAGER, response_url=env.api.response_url("x"))
        told = wait_for(lambda: env.api.responses_at("x"))[0].body
    text = json.dumps(told["blocks"])
    assert (
        "Written by template" in text
        and "Needs human review: drafting failed unexpectedly (RuntimeError)" in text
    )
    assert "secret internals" not in text


def test_a_failing_brief_tells_the_requester_an_error_id_and_no_traceback(
    sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    with slack_env(sqlite_db) as env:

        def broken() -> None:
            raise RuntimeError("secret internals")

        env.deps.session_factory = broken  # type: ignore[assignment]
        reply = env.slack.slash_command("Acme Corp", user_id=MANAGER, response_url=env.api.response_url("x"))
        assert reply.status == 200
        told = wait_for(lambda: env.api.responses_at("x"))[0].body
    match = re.search(r"error id ([0-9a-f]{8})", told["text"])
    assert match is not None and told["response_type"] == "ephemeral"
    assert "secret internals" not in told["text"] and "Traceback" not in told["text"]
    assert any(match.group(1) in record.getMessage() and record.exc_info for record in caplog.records)


@pytest.mark.parametrize("user", [OTHER_CSM, OTHER_MANAGER])  # strangers: test_slack_account_privacy
def test_only_the_owner_their_manager_or_ops_may_read_a_brief(env: SlackEnv, user: str) -> None:
    env.slack.slash_command("Acme Corp", user_id=user, response_url=env.api.response_url("no"))
    answer = wait_for(lambda: env.api.responses_at("no"))[0].body
    assert (
        answer["text"]
        == "Only the CSM of Acme Corp, their manager, or ops can ask for its brief. Nothing was shared."
    )
    assert "blocks" not in answer and env.count(Draft) == 0


@pytest.mark.parametrize("user", [OWNER, MANAGER, OPS])
def test_the_owner_their_manager_and_ops_get_the_brief(env: SlackEnv, user: str) -> None:
    env.slack.slash_command("ACC-1", user_id=user, response_url=env.api.response_url("yes"))
    answer = wait_for(lambda: env.api.responses_at("yes"))[0].body
    assert answer["text"] == "Brief: Acme Corp" and "*Suggested next steps*" in json.dumps(answer["blocks"])


def test_a_brief_through_the_llm_cites_sources_and_the_same_facts_reuse_the_stored_brief(
    sqlite_db: Database,
) -> None:
    with FakeOpenAI(responder=grounded) as llm:
        made = make_drafter(api_key="sk-test", base_url=llm.base_url, model="gpt-4o-mini", max_retries=0)
        with slack_env(sqlite_db, drafter=made) as env:
            env.slack.slash_command("Acme Corp", user_id=OWNER, response_url=env.api.response_url("a"))
            first = wait_for(lambda: env.api.responses_at("a"))[0].body
            env.slack.slash_command("Acme Corp", user_id=MANAGER, response_url=env.api.response_url("b"))
            second = wait_for(lambda: env.api.responses_at("b"))[0].body
            stored = _drafts(env)
    text = json.dumps(first["blocks"])
    assert "Written by LLM (gpt-4o-mini)" in text and "*Sources*" in text and "`H1`" in text
    assert len(llm.requests) == 1, "the second brief of the same facts came from the cache"
    assert "reused, no new LLM call" in json.dumps(second["blocks"])
    assert [(d.kind, d.author, d.prompt_version, d.needs_review) for d in stored] == [
        ("brief", "llm:gpt-4o-mini", "brief@2", None)
    ]
    assert stored[0].prompt_tokens and stored[0].cost_usd is not None and stored[0].document is not None


def _drafts(env: SlackEnv) -> list[Draft]:
    with env.db.session_factory() as session:
        return list(session.scalars(select(Draft).order_by(Draft.id)))
