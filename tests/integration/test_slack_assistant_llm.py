"""The assistant's LLM path end to end, over signed Slack DM events with OPENAI_API_KEY and
OPENAI_BASE_URL pointing at the local OpenAI-compatible server (tests/support/openai_server.py):
a free-form question answered through the read tool and stored with its tokens and cost; a
free-form request turned into a Confirm card that changes nothing until clicked; garbage and a
hung model still get an apology; a tool call outside the asker's scope gets the refusal, without
the account's data."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bot.ids import AssistantActionId
from storage.models import Account, AssistantAction, AssistantAnswer
from tests.conftest import Database
from tests.integration.slack_env import SlackEnv, slack_env
from tests.integration.test_slack_assistant_reads import _ask, _posts, _shown, seed
from tests.support.factories import OTHER_CSM, OWNER
from tests.support.openai_server import Behaviour, FakeOpenAI
from tests.support.waiting import wait_for

MODEL = "gpt-4o-mini"
TIMEOUT = 0.5
NORTHWIND_SECRETS = ("Moving to the EU instance", "T-901", "ACC-NW", "SSO broken", "cto@northwind.example")


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def env(db: Database, server: FakeOpenAI) -> Iterator[SlackEnv]:
    settings = {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": server.base_url, "OPENAI_MODEL": MODEL,
                "OPENAI_MAX_RETRIES": 0, "OPENAI_TIMEOUT_SECONDS": TIMEOUT}  # fmt: skip
    with slack_env(db, settings_env=settings) as environment:
        seed(db)
        yield environment


def _answers_stored(env: SlackEnv) -> list[AssistantAnswer]:
    with env.db.session_factory() as session:
        return session.query(AssistantAnswer).order_by(AssistantAnswer.id).all()


def _northwind(env: SlackEnv) -> Account:
    with env.db.session_factory() as session:
        account = session.get(Account, "ACC-NW")
        assert account is not None
        return account


def _tool_data(body: dict[str, Any]) -> str:
    return str(next(m["content"] for m in reversed(body["messages"]) if m["role"] == "tool"))


def test_a_free_form_question_is_answered_through_the_read_tool_once_with_tokens_and_cost(
    env: SlackEnv, server: FakeOpenAI
) -> None:
    server.script(Behaviour.tool_call("ask_tandem", {"intent": "why_red", "account": "Northwind"},
                                      prompt_tokens=300, completion_tokens=20))  # fmt: skip
    cited: list[str] = []

    def grounded(body: dict[str, Any]) -> Behaviour:  # the model cites figures from the tool result
        data = _tool_data(body)
        score = re.search(r"\d+/100", data)
        assert score is not None, data
        cited.append(score.group())
        return Behaviour.final(f"Northwind Traders is red at {score.group()}: it is mid-migration to the EU "
                               "instance, so the drop in active users is expected. Worth a check-in before "
                               "the renewal.", prompt_tokens=500, completion_tokens=40)  # fmt: skip

    server.responder = grounded
    question = "anything I should worry about with Northwind before the renewal?"
    post = _ask(env, OWNER, question, "EvL1")

    assert cited and cited[0] in post["text"] and post["text"].startswith("Northwind Traders is red at")
    assert post["thread_ts"]
    assert len(server.requests) == 2
    assert "<tandem_data>" in _tool_data(server.requests[1].body)
    answer = wait_for(lambda: [a for a in _answers_stored(env) if a.message_ts])[0]
    assert len(_answers_stored(env)) == 1 and len(_posts(env, "D" + OWNER[1:])) == 1
    assert answer.via.startswith("llm:") and answer.question == question
    assert (answer.prompt_tokens, answer.completion_tokens) == (800, 60)
    assert answer.cost_usd is not None and answer.cost_usd > 0
    assert answer.account_id == "ACC-NW" and answer.sources


def test_a_free_form_request_becomes_a_confirm_card_and_nothing_is_paused_until_clicked(
    env: SlackEnv, server: FakeOpenAI
) -> None:
    server.script(Behaviour.tool_call("request_action", {"intent": "pause", "account": "Northwind", "days": 10,
                                                         "reason": "migrating", "snooze": None}))  # fmt: skip
    post = _ask(env, OWNER, "could you hold off on automated emails to Northwind for ten days, they're migrating",
                "EvL2")  # fmt: skip
    blocks = post["blocks"] if isinstance(post["blocks"], list) else json.loads(post["blocks"])
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == [AssistantActionId.CONFIRM, AssistantActionId.CANCEL]
    assert "Northwind Traders" in _shown(post) and "10 days" in _shown(post)
    assert len(server.requests) == 1
    assert _northwind(env).automation_paused_until is None
    with env.db.session_factory() as session:
        [action] = session.query(AssistantAction).all()
        assert action.state == "pending"
    [answer] = _answers_stored(env)
    assert answer.via.startswith("llm:")


def _assert_nothing_changed(env: SlackEnv) -> None:
    assert _northwind(env).automation_paused_until is None
    with env.db.session_factory() as session:
        assert session.query(AssistantAction).count() == 0


def test_a_model_answering_garbage_gets_a_clear_apology_and_changes_nothing(
    env: SlackEnv, server: FakeOpenAI
) -> None:
    server.script(Behaviour.tool_call("ask_tandem", '{"intent": "why_red", "account": '))
    post = _ask(env, OWNER, "so what's the deal with Northwind these days", "EvL3")
    assert post["text"].startswith("Sorry, I couldn't answer that just now")
    assert "Nothing was changed" in post["text"]
    _assert_nothing_changed(env)


def test_a_hung_model_still_gets_an_apology_within_a_few_seconds(env: SlackEnv, server: FakeOpenAI) -> None:
    server.script(Behaviour.sleep(10))
    started = time.monotonic()
    post = _ask(env, OWNER, "anything I should worry about with Northwind before the renewal?", "EvL4")
    elapsed = time.monotonic() - started
    assert post["text"].startswith("Sorry, I couldn't answer that just now") and "timed out" in post["text"]
    assert elapsed < 4, elapsed
    _assert_nothing_changed(env)


def test_a_read_tool_call_outside_the_askers_scope_gets_the_refusal_without_the_data(
    env: SlackEnv, server: FakeOpenAI
) -> None:
    server.script(
        Behaviour.tool_call("ask_tandem", {"intent": "why_red", "account": "Northwind"}),
        Behaviour.final("Northwind is mid-migration to the EU instance; T-901 is open."),  # never asked for
    )
    post = _ask(env, OTHER_CSM, "anything I should worry about with Northwind before the renewal?", "EvL5")
    shown = _shown(post)
    assert "Nothing was shared" in shown or "No account matches" in shown, shown
    for secret in NORTHWIND_SECRETS:
        assert secret not in shown, secret
    assert len(server.requests) == 1
    [answer] = _answers_stored(env)
    assert answer.account_id is None and not answer.sources
