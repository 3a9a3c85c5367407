"""The escalation card click-through over signed HTTP requests, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from bot.ids import CardAction, EditModal
from bot.workflows.card_posting import post_new_card
from storage.db import transaction
from storage.models import Account, EscalationCard, OutboxMessage, OverrideRecord
from tests.conftest import Database
from tests.integration.slack_env import SlackEnv, slack_env
from tests.support import factories
from tests.support.factories import MANAGER, OPS, OTHER_CSM, OTHER_MANAGER, OWNER
from tests.support.slack_requests import sign
from tests.support.waiting import wait_for


@pytest.fixture
def env(db: Database) -> Iterator[SlackEnv]:
    with slack_env(db) as environment:
        yield environment


def _posted_card(env: SlackEnv) -> tuple[int, str, str]:
    setup = factories.add_card(env.db.session_factory)
    with transaction(env.db.session_factory) as session:
        posted = post_new_card(session, poster=env.deps.poster, card_id=setup.card_id, now=factories.NOW)
    assert posted is not None
    return setup.card_id, posted.channel_id, posted.ts


def _click(
    env: SlackEnv,
    action: str,
    card_id: int,
    channel: str,
    ts: str,
    *,
    user: str = OWNER,
    hook: str = "hook",
    **kw: object,
) -> int:
    reply = env.slack.block_action(
        action,
        str(card_id),
        user_id=user,
        channel_id=channel,
        message_ts=ts,
        response_url=env.api.response_url(hook),
        **kw,
    )
    return reply.status


def _card(env: SlackEnv, card_id: int) -> EscalationCard:
    with env.db.session_factory() as session:
        card = session.get(EscalationCard, card_id)
        assert card is not None
        return card


def _count(env: SlackEnv, model: type) -> int:
    with env.db.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_card_is_posted_to_the_owners_dm_with_the_three_buttons(env: SlackEnv) -> None:
    card_id, channel, _ = _posted_card(env)
    posted = env.api.calls_to("chat.postMessage")[-1].body
    assert posted["channel"] == OWNER and channel == "D" + OWNER[1:]
    actions = next(b for b in posted["blocks"] if b["type"] == "actions")
    assert [e["text"]["text"] for e in actions["elements"]] == ["Approve", "Edit", "Take over"]
    assert {e["value"] for e in actions["elements"]} == {str(card_id)}
    assert "Drafted by template" in str(posted["blocks"])
    assert posted["text"]  # a plain-text fallback for notifications


def test_approve_records_queues_and_updates_the_card_in_place(env: SlackEnv) -> None:
    card_id, channel, ts = _posted_card(env)
    assert _click(env, CardAction.APPROVE, card_id, channel, ts) == 200

    update = wait_for(lambda: env.api.calls_to("chat.update"))[0].body
    assert update["channel"] == channel and update["ts"] == ts
    assert not any(b["type"] == "actions" for b in update["blocks"])
    assert f"Approved by <@{OWNER}>" in str(update["blocks"])
    card = _card(env, card_id)
    assert card.state == "approved" and card.decided_by == OWNER
    with env.db.session_factory() as session:
        record = session.scalars(select(OverrideRecord)).one()
        message = session.scalars(select(OutboxMessage)).one()
    assert (record.action, record.actor_slack_id, record.trigger, record.proposed_route) == (
        "approved",
        OWNER,
        "health_low",
        "assist",
    )
    assert message.body.startswith("Hi there") and message.recipient == "ops@acme.example"


def test_second_click_changes_nothing_and_says_who_decided(env: SlackEnv) -> None:
    card_id, channel, ts = _posted_card(env)
    _click(env, CardAction.APPROVE, card_id, channel, ts)
    wait_for(lambda: _card(env, card_id).state == "approved")

    _click(env, CardAction.TAKE_OVER, card_id, channel, ts, user=MANAGER, hook="second")
    reply = wait_for(lambda: [c for c in env.api.calls_to("response_url") if c.path.endswith("/second")])[
        0
    ].body
    assert "Already handled: approved by <@U0CSM001>" in reply["text"]
    assert reply["response_type"] == "ephemeral"
    assert _card(env, card_id).state == "approved"
    assert _count(env, OverrideRecord) == 1 and _count(env, OutboxMessage) == 1
    with env.db.session_factory() as session:
        account = session.get(Account, "ACC-1")
        assert account is not None and account.human_handled_by is None


@pytest.mark.parametrize("intruder", [OTHER_CSM, OTHER_MANAGER, "U0NOBODY"])
def test_someone_without_a_role_on_the_account_is_refused_privately(env: SlackEnv, intruder: str) -> None:
    card_id, channel, ts = _posted_card(env)
    _click(env, CardAction.APPROVE, card_id, channel, ts, user=intruder, hook="intruder")
    reply = wait_for(lambda: env.api.calls_to("response_url"))[0].body
    assert (
        "Only the account's CSM, their manager, or ops" in reply["text"]
        and reply["response_type"] == "ephemeral"
    )
    assert _card(env, card_id).state == "pending"
    assert _count(env, OverrideRecord) == 0 and _count(env, OutboxMessage) == 0
    assert env.api.calls_to("chat.update") == []


@pytest.mark.parametrize("decider", [MANAGER, OPS])
def test_the_owners_manager_and_ops_may_decide(env: SlackEnv, decider: str) -> None:
    card_id, channel, ts = _posted_card(env)
    _click(env, CardAction.APPROVE, card_id, channel, ts, user=decider)
    wait_for(lambda: _card(env, card_id).state == "approved")
    assert _card(env, card_id).decided_by == decider


def test_edit_opens_a_prefilled_modal_and_submission_sends_the_edited_text(env: SlackEnv) -> None:
    card_id, channel, ts = _posted_card(env)
    _click(env, CardAction.EDIT, card_id, channel, ts)
    opened = wait_for(lambda: env.api.calls_to("views.open"))[0].body
    view = opened["view"]
    element = view["blocks"][0]["element"]
    assert view["callback_id"] == EditModal.CALLBACK and view["private_metadata"] == str(card_id)
    assert element["initial_value"].startswith("Hi there") and opened["trigger_id"] == "111.222.valid"

    values = {
        EditModal.DRAFT_BLOCK: {
            EditModal.DRAFT_INPUT: {"type": "plain_text_input", "value": "Hi Sam, a shorter note."}
        }
    }
    reply = env.slack.view_submission(
        EditModal.CALLBACK, private_metadata=str(card_id), values=values, user_id=OWNER
    )
    assert reply.status == 200
    card = wait_for(lambda: (c := _card(env, card_id)).state == "edited" and c)
    assert card.final_text == "Hi Sam, a shorter note."
    with env.db.session_factory() as session:
        record = session.scalars(select(OverrideRecord)).one()
        message = session.scalars(select(OutboxMessage)).one()
    assert record.action == "edited" and record.edited_text == "Hi Sam, a shorter note."
    assert message.body == "Hi Sam, a shorter note."
    update = wait_for(lambda: env.api.calls_to("chat.update"))[0].body
    assert "Edited and approved by" in str(update["blocks"]) and "a shorter note" in str(update["blocks"])


def test_empty_edit_is_refused_inside_the_modal(env: SlackEnv) -> None:
    card_id, _, _ = _posted_card(env)
    values = {EditModal.DRAFT_BLOCK: {EditModal.DRAFT_INPUT: {"type": "plain_text_input", "value": "   "}}}
    reply = env.slack.view_submission(
        EditModal.CALLBACK, private_metadata=str(card_id), values=values, user_id=OWNER
    )
    assert reply.status == 200
    answer = reply.json()
    assert answer["response_action"] == "errors" and EditModal.DRAFT_BLOCK in answer["errors"]
    assert _card(env, card_id).state == "pending" and _count(env, OutboxMessage) == 0


def test_take_over_makes_the_account_human_handled(env: SlackEnv) -> None:
    card_id, channel, ts = _posted_card(env)
    _click(env, CardAction.TAKE_OVER, card_id, channel, ts)
    update = wait_for(lambda: env.api.calls_to("chat.update"))[0].body
    assert "human-handled" in str(update["blocks"]) and "Taken over by <@U0CSM001>" in str(update["blocks"])
    with env.db.session_factory() as session:
        account = session.get(Account, "ACC-1")
        assert account is not None and account.human_handled_by == OWNER
    assert _card(env, card_id).state == "taken_over" and _count(env, OutboxMessage) == 0


def test_forged_signature_and_stale_timestamp_are_refused_with_401(env: SlackEnv) -> None:
    card_id, channel, ts = _posted_card(env)
    forged = sign("not-the-secret", str(int(time.time())), "payload=%7B%7D")
    assert _click(env, CardAction.APPROVE, card_id, channel, ts, signature=forged) == 401
    assert _click(env, CardAction.APPROVE, card_id, channel, ts, timestamp=int(time.time()) - 10 * 60) == 401
    time.sleep(0.2)  # give a wrongly accepted request time to act, so the next lines would see it
    assert _card(env, card_id).state == "pending" and _count(env, OverrideRecord) == 0


def test_a_slack_retry_of_the_same_click_is_harmless(env: SlackEnv) -> None:
    card_id, channel, ts = _posted_card(env)
    _click(env, CardAction.APPROVE, card_id, channel, ts)
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    _click(env, CardAction.APPROVE, card_id, channel, ts, headers=retry, hook="retry")
    wait_for(lambda: _card(env, card_id).state == "approved")
    wait_for(lambda: env.api.calls_to("response_url"))
    assert _count(env, OverrideRecord) == 1 and _count(env, OutboxMessage) == 1


def test_two_people_clicking_at_once_decide_once(env: SlackEnv) -> None:
    card_id, channel, ts = _posted_card(env)
    clickers = [
        threading.Thread(
            target=_click,
            args=(env, CardAction.APPROVE, card_id, channel, ts),
            kwargs={"user": who, "hook": who},
        )
        for who in (OWNER, MANAGER, OPS)
    ]
    for thread in clickers:
        thread.start()
    for thread in clickers:
        thread.join(10)
    wait_for(lambda: len(env.api.calls_to("response_url")) == 2)
    assert _count(env, OverrideRecord) == 1 and _count(env, OutboxMessage) == 1
    assert len(env.api.calls_to("chat.update")) == 1
