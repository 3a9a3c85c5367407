"""Looking an account up by name shares no account data with people who may not see it.

`/brief`, `/qbr`, `/flag` and `/veto` suggest close matches only among the accounts the
requester may act on (their own; a manager's team's; ops and admin: all); a Slack user unknown
to Tandem gets one and the same answer whatever they type, and nothing happens.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from storage.db import transaction
from storage.models import EscalationCard, OverrideRecord, Signal
from tests.conftest import Database
from tests.integration.slack_env import SlackEnv, slack_env
from tests.support import factories
from tests.support.factories import MANAGER, OPS, OTHER_CSM, OTHER_MANAGER
from tests.support.waiting import wait_for

COMMANDS = ["/brief", "/qbr", "/flag", "/veto"]
STRANGER = "U0STRANGER"
ALL_NAMES = ("Acme Corp", "Acme Labs", "Acme Widgets", "Acme Gadgets")


@pytest.fixture
def env(db: Database) -> Iterator[SlackEnv]:
    with slack_env(db) as environment:  # ACC-1 Acme Corp, owned by OWNER (managed by MANAGER)
        with transaction(db.session_factory) as session:
            factories.add_account(session, "ACC-2", "Acme Labs")
            factories.add_account(session, "ACC-4", "Acme Widgets", owner_slack_id=OTHER_CSM)
            factories.add_account(session, "ACC-5", "Acme Gadgets", owner_slack_id=OTHER_CSM)
        yield environment


def ask(env: SlackEnv, command: str, query: str, user: str, hook: str) -> str:
    """What the requester is told: the ack's text (/veto) or the answer at the response_url."""
    text = f"{query}: checking something" if command in ("/flag", "/veto") else query
    reply = env.slack.slash_command(
        text, user_id=user, response_url=env.api.response_url(hook), command=command
    )
    assert reply.status == 200
    if command == "/veto":
        return str(reply.json()["text"])
    return str(wait_for(lambda: env.api.responses_at(hook))[0].body["text"])


@pytest.mark.parametrize("command", COMMANDS)
def test_a_stranger_learns_nothing_whether_or_not_the_account_exists(env: SlackEnv, command: str) -> None:
    queries = ["acme", "Acme Corp", "ACC-1", "acme c", "no such company", "ACC-999"]
    answers = {ask(env, command, query, STRANGER, f"s{n}") for n, query in enumerate(queries)}
    assert len(answers) == 1, answers
    answer = answers.pop()
    assert "ACC-" not in answer and not any(name in answer for name in ALL_NAMES)
    assert "csms.csv" in answer  # what to do about it
    assert env.count(Signal) == env.count(EscalationCard) == env.count(OverrideRecord) == 0


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    ("user", "expected"),
    [
        (OTHER_CSM, "Acme Gadgets (ACC-5), Acme Widgets (ACC-4)"),  # their own accounts only
        (OTHER_MANAGER, "Acme Gadgets (ACC-5), Acme Widgets (ACC-4)"),  # their team's
        (MANAGER, "Acme Corp (ACC-1), Acme Labs (ACC-2)"),  # their team's
        (OPS, "Acme Corp (ACC-1), Acme Labs (ACC-2), Acme Gadgets (ACC-5), Acme Widgets (ACC-4)"),
    ],
)
def test_suggestions_come_only_from_accounts_the_requester_may_see(
    env: SlackEnv, command: str, user: str, expected: str
) -> None:
    answer = ask(env, command, "acme", user, "closest")
    assert answer.endswith(f"Closest: {expected}") or f"Closest: {expected}." in answer, answer
    hidden = [name for name in ALL_NAMES if name not in expected]
    assert not any(name in answer for name in hidden), answer


@pytest.mark.parametrize("command", COMMANDS)
def test_a_partial_name_never_resolves_to_someone_elses_account(env: SlackEnv, command: str) -> None:
    answer = ask(env, command, "acme c", OTHER_CSM, "partial")  # names only Acme Corp in the book
    assert "Acme Corp" not in answer and "ACC-1" not in answer, answer
    assert env.count(Signal) == env.count(OverrideRecord) == 0


@pytest.mark.parametrize("command", COMMANDS)
def test_a_colleague_who_types_an_id_exactly_is_refused_without_being_told_its_name(
    env: SlackEnv, command: str
) -> None:
    answer = ask(env, command, "ACC-1", OTHER_CSM, "exact")
    assert answer.startswith("Only the CSM of ACC-1, their manager, or ops can"), answer
    assert "Acme Corp" not in answer
    assert env.count(Signal) == env.count(OverrideRecord) == 0
