"""`/health` over signed HTTP: each role gets its own scope, privately; asking for a CSM outside
it is refused and shows nothing of theirs; a stranger is told how to get set up."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Database
from tests.integration.slack_env import SlackEnv, slack_env
from tests.integration.team_world import seed_teams
from tests.support.factories import MANAGER, OPS, OTHER_CSM, OTHER_MANAGER, OWNER
from tests.support.waiting import wait_for

HOOKS = itertools.count()


@pytest.fixture
def env(db: Database) -> Iterator[SlackEnv]:
    with slack_env(db) as environment:
        seed_teams(db)
        yield environment


def health(env: SlackEnv, text: str, *, user: str) -> dict[str, Any]:
    hook = f"health-{next(HOOKS)}"
    reply = env.slack.slash_command(
        text, user_id=user, response_url=env.api.response_url(hook), command="/health"
    )
    assert reply.status == 200 and reply.json()["response_type"] == "ephemeral"
    answer = wait_for(lambda: env.api.responses_at(hook))[0].body
    assert answer["response_type"] == "ephemeral"
    return answer


def shown(answer: dict[str, Any]) -> str:
    blocks = answer.get("blocks")
    return answer["text"] + (
        json.dumps(blocks if not isinstance(blocks, str) else json.loads(blocks), ensure_ascii=False)
        if blocks
        else ""
    )


def test_a_csm_gets_their_own_book(env: SlackEnv) -> None:
    text = shown(health(env, "", user=OWNER))
    assert "Health: Your book" in text
    assert "Acme Corp" in text and "Acme Labs" in text and "Globex" not in text
    # bands with ARR: Acme Corp red 60k; Labs (250k) and Works (30k) green
    assert "*red*: 1 account, $60,000 ARR" in text and "*green*: 2 accounts, $280,000 ARR" in text
    assert "Acme Labs* 60 → 80 (+20)" in text  # a mover over 7 days
    assert "with the manager: 1 (4–24h 1)" in text  # Acme Corp's card: climbed, waiting 5h
    assert "Snoozed (1)" in text and "back <!date^" in text
    assert "dismiss 1" in text and "approve 0" in text
    assert "*Ana Lima*: 1 of 10 cards today · 1 pending · 1 snoozed" in text  # Labs came yesterday


def test_a_manager_gets_their_team_only(env: SlackEnv) -> None:
    text = shown(health(env, "", user=MANAGER))
    assert "Health: Your team" in text and "1 CSM: Ana Lima" in text
    assert "Acme Corp" in text and "Globex" not in text and "Ben Okafor" not in text
    other = shown(health(env, "", user=OTHER_MANAGER))
    assert "Globex Retail" in other and "Acme" not in other and "Ana Lima" not in other
    assert "*yellow*: 1 account, $90,000 ARR" in other and "dismiss 0" in other


def test_ops_gets_the_whole_book(env: SlackEnv) -> None:
    text = shown(health(env, "", user=OPS))
    assert "Health: The whole book" in text and "Every account · 2 CSMs" in text
    assert "Acme Corp" in text and "Globex Retail" in text
    assert "*Ana Lima*" in text and "*Ben Okafor*" in text
    # one CSM by plain member id
    ben = shown(health(env, OTHER_CSM, user=OPS))
    assert "Ben Okafor's book" in ben and "Globex Retail" in ben and "Acme" not in ben


def test_a_manager_asks_for_their_csm_by_mention(env: SlackEnv) -> None:
    text = shown(health(env, f"<@{OWNER}|ana>", user=MANAGER))
    assert "Health: Ana Lima's book" in text and "Acme Corp" in text and "Globex" not in text


def test_another_manager_is_refused_and_shown_nothing(env: SlackEnv) -> None:
    answer = health(env, f"<@{OWNER}|ana>", user=OTHER_MANAGER)
    assert "blocks" not in answer
    assert answer["text"] == (
        "Only Ana Lima, their manager, or ops can see Ana Lima's health, and you are none of them. "
        "Nothing was shown."
    )
    peer = health(env, f"<@{OTHER_CSM}>", user=OWNER)  # a CSM asking for a peer
    assert peer["text"].startswith("Only Ben Okafor, their manager, or ops") and "Globex" not in shown(peer)


def test_someone_tandem_does_not_know_is_told_how_to_get_set_up(env: SlackEnv) -> None:
    for text in ("", f"<@{OWNER}|ana>"):
        answer = health(env, text, user="U0STRANGER")
        assert "Tandem doesn't know you yet" in answer["text"] and "csms.csv" in answer["text"]
        assert f"<@{OPS}>" in answer["text"] and "member id" in answer["text"] and "email" in answer["text"]
        assert "Acme" not in answer["text"]


def test_naming_someone_tandem_does_not_know(env: SlackEnv) -> None:
    answer = health(env, "<@U0NOBODY|x>", user=OPS)
    assert answer["text"].startswith("Tandem does not know <@U0NOBODY>")
    by_name = health(env, "@ana lima", user=MANAGER)
    assert "Health: Ana Lima's book" in shown(by_name)
