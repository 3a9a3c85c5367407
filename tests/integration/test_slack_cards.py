"""The escalation card click-through over signed HTTP requests, on SQLite and PostgreSQL.

Every request goes through bot.http_server into the real Bolt app; every Web API call lands
on the stand-in. A decision is checked in the database (card state, override log, outbox)
and in what Slack was asked to show.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.ids import CardAction, EditModal
from storage.models import Account, OutboxMessage, OverrideRecord
from tests.conftest import Database
from tests.integration.slack_env import SlackEnv, slack_env
from tests.support.factories import MANAGER, OPS, OTHER_CSM, OTHER_MANAGER, OWNER
from tests.support.slack_requests import sign
from tests.support.waiting import wait_for

REFUSED = "Only the account's CSM, their manager or ops can decide on this card."


@pytest.fixture
def env(db: Database) -> Iterator[SlackEnv]:
    with slack_env(db) as environment:
        yield environment


def _edit_values(text: str) -> dict[str, dict[str, object]]:
    return {EditModal.DRAFT_BLOCK: {EditModal.DRAFT_INPUT: {"type": "plain_text_input", "value": text}}}


def _nothing_changed(env: SlackEnv, card_id: int) -> None:
    assert env.card(card_id).state == "pending"
    assert env.count(OverrideRecord) == 0 and env.count(OutboxMessage) == 0
    assert env.api.calls_to("chat.update") == []


def test_card_is_posted_to_the_owners_dm_with_the_three_buttons(env: SlackEnv) -> None:
    card = env.post_card()
    posted = env.api.calls_to("chat.postMessage")[-1].body
    assert posted["channel"] == OWNER and card.channel == "D" + OWNER[1:]
    actions = next(b for b in posted["blocks"] if b["type"] == "actions")
    assert [e["text"]["text"] for e in actions["elements"]] == ["Approve", "Edit", "Take over"]
    assert {e["value"] for e in actions["elements"]} == {str(card.card_id)}
    assert "Drafted by template" in str(posted["blocks"]) and posted["text"]
    stored = env.card(card.card_id)
    assert (stored.channel_id, stored.message_ts) == (card.channel, card.ts) and stored.posted_at


def test_approve_records_queues_and_updates_the_card_in_place(env: SlackEnv) -> None:
    card = env.post_card()
    assert env.click(CardAction.APPROVE, card) == 200

    update = wait_for(lambda: env.api.calls_to("chat.update"))[0].body
    assert update["channel"] == card.channel and update["ts"] == card.ts
    assert not any(b["type"] == "actions" for b in update["blocks"])
    assert (
        "✅ Approved by <@U0CSM001> at <!date^1772442000^{date_short_pretty} at {time}|2026-03-02 09:00 UTC>"
        in str(update["blocks"])
    )
    stored = env.card(card.card_id)
    assert stored.state == "approved" and stored.decided_by == OWNER and stored.version == 2
    with env.db.session_factory() as session:
        record = session.scalars(select(OverrideRecord)).one()
        message = session.scalars(select(OutboxMessage)).one()
    assert (record.action, record.actor_slack_id, record.trigger, record.proposed_route) == (
        "approved",
        OWNER,
        "health_low",
        "assist",
    )
    assert record.proposed_draft.startswith("Hi there") and record.edited_text is None
    assert (message.idempotency_key, message.channel, message.recipient, message.subject) == (
        f"card:{card.card_id}:send",
        "email",
        "ops@acme.example",
        "Checking in",
    )
    assert message.body.startswith("Hi there") and message.card_id == card.card_id


def test_second_click_changes_nothing_and_says_who_decided(env: SlackEnv) -> None:
    card = env.post_card()
    env.click(CardAction.APPROVE, card)
    wait_for(lambda: env.api.calls_to("chat.update"))

    env.click(CardAction.TAKE_OVER, card, user=MANAGER, hook="second")
    reply = wait_for(lambda: env.api.responses_at("second"))[0].body
    assert reply["text"].startswith(
        "Already handled: approved by <@U0CSM001> at <!date^1772442000^{date_short_pretty} at {time}|2026-03-02 09:00 UTC>"
    )
    assert reply["response_type"] == "ephemeral" and reply["replace_original"] is False
    assert env.card(card.card_id).state == "approved"
    assert env.count(OverrideRecord) == 1 and env.count(OutboxMessage) == 1
    assert len(env.api.calls_to("chat.update")) == 1
    with env.db.session_factory() as session:
        account = session.get(Account, "ACC-1")
        assert account is not None and account.human_handled_by is None


@pytest.mark.parametrize("intruder", [OTHER_CSM, OTHER_MANAGER, "U0NOBODY"])
def test_someone_without_a_role_on_the_account_is_refused_privately(env: SlackEnv, intruder: str) -> None:
    card = env.post_card()
    env.click(CardAction.APPROVE, card, user=intruder, hook="intruder")
    reply = wait_for(lambda: env.api.responses_at("intruder"))[0].body
    assert reply["text"] == REFUSED and reply["response_type"] == "ephemeral"
    _nothing_changed(env, card.card_id)


@pytest.mark.parametrize("decider", [MANAGER, OPS])
def test_the_owners_manager_and_ops_may_decide(env: SlackEnv, decider: str) -> None:
    card = env.post_card()
    env.click(CardAction.APPROVE, card, user=decider)
    wait_for(lambda: env.card(card.card_id).state == "approved")
    assert env.card(card.card_id).decided_by == decider
    update = wait_for(lambda: env.api.calls_to("chat.update"))[0].body
    assert f"Approved by <@{decider}>" in str(update["blocks"])


def test_edit_opens_a_prefilled_modal_and_submission_sends_the_edited_text(env: SlackEnv) -> None:
    card = env.post_card()
    env.click(CardAction.EDIT, card)
    opened = wait_for(lambda: env.api.calls_to("views.open"))[0].body
    view = opened["view"]
    element = view["blocks"][0]["element"]
    assert view["callback_id"] == EditModal.CALLBACK and view["private_metadata"] == str(card.card_id)
    assert element["initial_value"].startswith("Hi there") and element["max_length"] == 3000
    assert element["multiline"] is True and opened["trigger_id"] == "111.222.valid"
    assert env.card(card.card_id).state == "pending"  # opening the editor decides nothing

    reply = env.slack.view_submission(
        EditModal.CALLBACK,
        private_metadata=str(card.card_id),
        values=_edit_values("Hi Sam, a shorter note.  "),
        user_id=OWNER,
        blocks=view["blocks"],
    )
    assert reply.status == 200 and reply.body == ""  # a plain ack closes the modal
    stored = env.card(card.card_id)
    assert stored.state == "edited" and stored.final_text == "Hi Sam, a shorter note."
    with env.db.session_factory() as session:
        record = session.scalars(select(OverrideRecord)).one()
        message = session.scalars(select(OutboxMessage)).one()
    assert record.action == "edited" and record.edited_text == "Hi Sam, a shorter note."
    assert record.proposed_draft.startswith("Hi there") and message.body == "Hi Sam, a shorter note."
    update = wait_for(lambda: env.api.calls_to("chat.update"))[0].body
    assert (update["channel"], update["ts"]) == (card.channel, card.ts)
    assert "✏️ Edited and approved by <@U0CSM001>" in str(update["blocks"])
    assert "a shorter note" in str(update["blocks"]) and "actions" not in str(update["blocks"])


def test_empty_edit_is_refused_inside_the_modal(env: SlackEnv) -> None:
    card = env.post_card()
    reply = env.slack.view_submission(
        EditModal.CALLBACK, private_metadata=str(card.card_id), values=_edit_values(" \n "), user_id=OWNER
    )
    assert reply.status == 200
    answer = reply.json()
    assert answer["response_action"] == "errors"
    assert answer["errors"] == {EditModal.DRAFT_BLOCK: "The message can't be empty."}
    _nothing_changed(env, card.card_id)


def test_edit_by_an_intruder_opens_nothing(env: SlackEnv) -> None:
    card = env.post_card()
    env.click(CardAction.EDIT, card, user=OTHER_CSM, hook="intruder")
    assert wait_for(lambda: env.api.responses_at("intruder"))[0].body["text"] == REFUSED
    assert env.api.calls_to("views.open") == []

    reply = env.slack.view_submission(  # a submission Slack would never send for them, still refused
        EditModal.CALLBACK, private_metadata=str(card.card_id), values=_edit_values("Hi"), user_id=OTHER_CSM
    )
    assert reply.json()["errors"] == {EditModal.DRAFT_BLOCK: REFUSED}
    _nothing_changed(env, card.card_id)


def test_edit_of_a_decided_card_says_who_decided(env: SlackEnv) -> None:
    card = env.post_card()
    env.click(CardAction.TAKE_OVER, card)
    wait_for(lambda: env.card(card.card_id).state == "taken_over")

    env.click(CardAction.EDIT, card, user=MANAGER, hook="late")
    late = wait_for(lambda: env.api.responses_at("late"))[0].body["text"]
    assert late.startswith("Already handled: taken over by <@U0CSM001>") and not env.api.calls_to(
        "views.open"
    )

    reply = env.slack.view_submission(  # a modal left open while the owner took over
        EditModal.CALLBACK, private_metadata=str(card.card_id), values=_edit_values("Hi"), user_id=MANAGER
    )
    assert "Already handled: taken over" in reply.json()["errors"][EditModal.DRAFT_BLOCK]
    assert env.card(card.card_id).state == "taken_over" and env.count(OutboxMessage) == 0


def test_take_over_makes_the_account_human_handled(env: SlackEnv) -> None:
    card = env.post_card()
    env.click(CardAction.TAKE_OVER, card)
    update = wait_for(lambda: env.api.calls_to("chat.update"))[0].body
    assert "🙋 Taken over by <@U0CSM001>" in str(update["blocks"])
    assert "human-handled; automation paused" in str(update["blocks"])
    assert not any(b["type"] == "actions" for b in update["blocks"])
    with env.db.session_factory() as session:
        account = session.get(Account, "ACC-1")
        assert account is not None and account.human_handled_by == OWNER
        assert account.human_handled_since is not None
        record = session.scalars(select(OverrideRecord)).one()
    assert record.action == "taken_over" and record.actor_slack_id == OWNER
    assert env.card(card.card_id).state == "taken_over" and env.count(OutboxMessage) == 0


def test_a_forged_signature_is_refused_with_401(env: SlackEnv) -> None:
    card = env.post_card()
    forged = sign("not-the-secret", str(int(time.time())), "payload=%7B%7D")
    assert env.click(CardAction.APPROVE, card, signature=forged) == 401
    assert env.click(CardAction.APPROVE, card, signature="v0=" + "0" * 64) == 401
    env.click(CardAction.TAKE_OVER, card, hook="control")  # a genuine click, processed after them
    wait_for(lambda: env.card(card.card_id).state == "taken_over")
    assert env.count(OverrideRecord) == 1 and env.count(OutboxMessage) == 0


def test_a_stale_timestamp_is_refused_with_401(env: SlackEnv) -> None:
    card = env.post_card()
    six_minutes_ago = int(time.time()) - 6 * 60
    assert env.click(CardAction.APPROVE, card, timestamp=six_minutes_ago) == 401
    env.click(CardAction.TAKE_OVER, card, hook="control")
    wait_for(lambda: env.card(card.card_id).state == "taken_over")
    assert env.count(OverrideRecord) == 1 and env.count(OutboxMessage) == 0


def test_a_slack_retry_of_the_same_click_is_harmless(env: SlackEnv) -> None:
    card = env.post_card()
    env.click(CardAction.APPROVE, card)
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert env.click(CardAction.APPROVE, card, headers=retry, hook="retry") == 200
    wait_for(lambda: env.card(card.card_id).state == "approved")
    # Both deliveries run after their acks, so either may be the one that loses.
    told = wait_for(lambda: env.api.calls_to("response_url"))
    assert len(told) == 1 and told[0].body["text"].startswith("Already handled: approved by <@U0CSM001>")
    assert env.count(OverrideRecord) == 1 and env.count(OutboxMessage) == 1
    assert len(wait_for(lambda: env.api.calls_to("chat.update"))) == 1


def test_three_people_clicking_at_once_decide_once(env: SlackEnv) -> None:
    card = env.post_card()
    clickers = [
        threading.Thread(target=env.click, args=(CardAction.APPROVE, card), kwargs={"user": who, "hook": who})
        for who in (OWNER, MANAGER, OPS)
    ]
    for thread in clickers:
        thread.start()
    for thread in clickers:
        thread.join(10)
    told = wait_for(lambda: len(env.api.calls_to("response_url")) == 2 and env.api.calls_to("response_url"))
    assert all(call.body["text"].startswith("Already handled: approved by") for call in told)
    assert env.count(OverrideRecord) == 1 and env.count(OutboxMessage) == 1
    assert len(wait_for(lambda: env.api.calls_to("chat.update"))) == 1
    winner = env.card(card.card_id).decided_by
    assert {call.path.rsplit("/", 1)[1] for call in told} == {OWNER, MANAGER, OPS} - {winner}
