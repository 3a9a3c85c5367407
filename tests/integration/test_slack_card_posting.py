"""Posting cards through the Web API stand-in: routes, escalation notices, once-only, retries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.ids import CardAction
from bot.workflows.card_posting import post_owed_cards
from scoring.types import Route
from storage.db import transaction
from storage.models import HealthSnapshot, OutboxMessage, OverrideRecord
from tests.conftest import Database
from tests.integration.slack_env import SlackEnv, slack_env
from tests.support import factories
from tests.support.factories import MANAGER, OWNER
from tests.support.waiting import wait_for


@pytest.fixture
def env(sqlite_db: Database) -> Iterator[SlackEnv]:
    with slack_env(sqlite_db) as environment:
        yield environment


@pytest.fixture(autouse=True)
def _second_account(env: SlackEnv) -> None:
    with transaction(env.db.session_factory) as session:
        factories.add_account(session, "ACC-9", "Initech")


def _labels(blocks: list[dict[str, object]]) -> list[str]:
    actions = [b for b in blocks if b["type"] == "actions"]
    return [e["text"]["text"] for a in actions for e in a["elements"]]  # type: ignore[index]


def test_a_card_is_posted_once_however_often_posting_is_asked(env: SlackEnv) -> None:
    card = env.post_card()
    again = post_owed_cards(env.deps, card_id=card.card_id)
    everything = post_owed_cards(env.deps)
    assert again.delivered == everything.delivered == 0 and len(env.api.calls_to("chat.postMessage")) == 1


def test_a_human_route_card_offers_only_take_over(env: SlackEnv) -> None:
    card = env.post_card(route=Route.HUMAN, with_draft=False)
    assert _labels(card.blocks) == ["Take over"]
    assert "No automated send" in str(card.blocks)

    # Even a hand-made Approve click on it sends nothing: there is no message to send.
    env.click(CardAction.APPROVE, card, hook="forced")
    told = wait_for(lambda: env.api.responses_at("forced"))[0].body["text"]
    assert "no message for Tandem to send" in told
    assert env.card(card.card_id).state == "pending" and env.count(OutboxMessage) == 0

    env.click(CardAction.TAKE_OVER, card)
    update = wait_for(lambda: env.api.calls_to("chat.update"))[0].body
    assert "Taken over by <@U0CSM001>" in str(update["blocks"]) and _labels(update["blocks"]) == []
    assert env.count(OverrideRecord) == 1 and env.count(OutboxMessage) == 0


def test_a_hold_card_is_informational(env: SlackEnv) -> None:
    card = env.post_card(route=Route.HOLD, with_draft=False)
    assert _labels(card.blocks) == [] and "On hold" in str(card.blocks)


def test_an_escalation_tells_the_manager_at_once_and_says_when_it_climbs(env: SlackEnv) -> None:
    """An escalation goes to the CSM and, as a notice without buttons, to their manager at once
    (design: `escalate` is immediately CSM and manager); the ladder sends the manager the card
    itself after 4 working hours unanswered (tests/integration/test_slack_ladder.py)."""
    card = env.post_card(route=Route.ESCALATE, with_draft=False)
    posts = env.api.calls_to("chat.postMessage")
    assert [p.body["channel"] for p in posts] == [OWNER, MANAGER]
    notice = posts[1].body
    assert _labels(notice["blocks"]) == [] and "Acme Corp" in notice["text"]
    assert f"<@{OWNER}>" in str(notice["blocks"])
    assert _labels(card.blocks) == ["Take over"]
    # Monday 09:00 UTC + 4 working hours = 13:00 UTC, as a Slack date token.
    assert (
        f"Unanswered, it goes to <@{MANAGER}> <!date^{int((factories.NOW + timedelta(hours=4)).timestamp())}^"
        in str(card.blocks)
    )


def test_a_draft_with_slack_markup_and_huge_length_is_posted_safely(env: SlackEnv) -> None:
    body = "Hello <!channel> & <@U999>,\n" + ("All good & steady. " * 400)
    card = env.post_card(body=body, author="llm:gpt-4o-mini", needs_review="mentions a 40% discount")
    section = next(b for b in card.blocks if "Proposed message" in b.get("text", {}).get("text", ""))
    text = section["text"]["text"]
    assert len(text) <= 3000 and "&lt;!channel&gt;" in text and "<!channel>" not in text
    assert "shortened here" in text
    shown = str(card.blocks)
    assert "Drafted by LLM (gpt-4o-mini)" in shown and "mentions a 40% discount" in shown

    env.click(CardAction.APPROVE, card)
    wait_for(lambda: env.card(card.card_id).state == "approved")
    with env.db.session_factory() as session:
        message = session.scalars(select(OutboxMessage)).one()
    assert message.body == body  # the display is shortened, the approved text is not


def test_rate_limits_and_server_errors_are_retried(env: SlackEnv) -> None:
    env.api.fail_next(429, retry_after=1)
    first = env.post_card()
    assert first.ts and len(env.api.calls_to("chat.postMessage")) == 2  # 429, then the post

    env.api.fail_next(500)
    second = env.post_card(account_id="ACC-9")
    assert second.ts != first.ts and len(env.api.calls_to("chat.postMessage")) == 4


def test_a_card_shows_the_score_trend_from_daily_snapshots(env: SlackEnv) -> None:
    setup = factories.add_card(env.db.session_factory)  # today's snapshot: 48
    with transaction(env.db.session_factory) as session:
        for days_ago, score in ((7, 60), (30, 75)):
            session.add(
                HealthSnapshot(
                    account_id=setup.account_id, as_of=factories.AS_OF - timedelta(days=days_ago),
                    score=score, band="yellow", confidence=1.0, factors={}, explanation="",
                )
            )  # fmt: skip
    post_owed_cards(env.deps, card_id=setup.card_id)
    posted = env.api.calls_to("chat.postMessage")[-1].body
    assert "Trend: ↘ −12 in 7 days · ↘ −27 in 30 days" in json.dumps(posted["blocks"], ensure_ascii=False)
