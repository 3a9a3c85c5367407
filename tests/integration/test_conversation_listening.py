"""Listening in linked Slack Connect channels, over signed event requests into the real Bolt
app: a customer's message stored once (its Slack retry too), edited, deleted; a bot's and an
internal member's kept apart; answers settled; channels not linked never stored; a garbled
event refused with a clear log and nothing stored."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from storage.models import ConversationMessage, ConversationPerson
from tests.conftest import Database
from tests.integration.slack_env import SlackEnv, slack_env
from tests.support.conversation_events import (
    CUSTOMER,
    INTERNAL,
    OWN_TEAM,
    add_channel,
    as_json,
    bot_message,
    deleted,
    edited,
    envelope,
    message,
)
from tests.support.factories import NOW
from tests.support.slack_requests import Reply

LINKED = "C0LINKED1"
T0 = 1772440000  # 2026-03-02 08:26:40 UTC, half an hour before the tests' NOW


def ts(seconds: int, micro: int = 100) -> str:
    return f"{T0 + seconds}.{micro:06d}"


@pytest.fixture
def env(db: Database) -> Iterator[SlackEnv]:
    with slack_env(db) as environment:
        add_channel(db.session_factory, LINKED, now=NOW)
        yield environment


def send(
    env: SlackEnv, event: dict[str, object], *, retry: int | None = None, event_id: str | None = None
) -> Reply:
    headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
    body = as_json(envelope(dict(event), event_id=event_id))
    return env.slack.post(body, content_type="application/json", headers=headers)


def stored(env: SlackEnv, channel: str = LINKED) -> list[ConversationMessage]:
    with env.db.session_factory() as session:
        query = select(ConversationMessage).where(ConversationMessage.channel_id == channel)
        return list(session.scalars(query.order_by(ConversationMessage.ts)))


def test_a_customer_message_is_stored_once_with_what_it_says_even_when_slack_retries(env: SlackEnv) -> None:
    event = message(LINKED, ts(0), "We are evaluating another vendor. Can you send the renewal pricing?")
    assert send(env, event, event_id="Ev0001").status == 200
    assert send(env, event, event_id="Ev0001", retry=1).status == 200  # Slack's retry of the same event
    assert send(env, event, event_id="Ev0001", retry=2).status == 200

    [row] = stored(env)
    assert (row.author_kind, row.account_id, row.user_id) == ("customer", "ACC-1", CUSTOMER)
    assert row.text == event["text"]
    assert row.posted_at == datetime.fromtimestamp(T0, UTC) + timedelta(microseconds=100)
    assert row.keep_text_until == row.posted_at + timedelta(days=90)  # TANDEM_CONVERSATION_RETENTION_DAYS
    assert row.is_question and {"competitor", "price", "contract"} <= set(row.topics)
    assert row.received_at == NOW and row.answered_at is None and row.deleted_at is None
    with env.db.session_factory() as session:
        person = session.get(ConversationPerson, CUSTOMER)
        assert person is not None and (person.kind, person.team_id) == ("customer", "T0CUSTOMR")


def test_an_edit_replaces_the_text_and_what_it_says_and_a_deletion_drops_the_text(env: SlackEnv) -> None:
    send(env, message(LINKED, ts(0), "Thanks, all good here"))
    [before] = stored(env)
    assert not before.is_question and before.topics == []

    change = edited(LINKED, ts(0), "Thanks. Actually we want to cancel the contract", edited_ts=ts(60))
    assert send(env, change).status == 200
    assert send(env, change, retry=1).status == 200  # the same edit again changes nothing more
    [after] = stored(env)
    assert after.id == before.id and after.text == "Thanks. Actually we want to cancel the contract"
    assert {"cancel", "contract"} <= set(after.topics)
    assert after.edited_at == datetime.fromtimestamp(T0 + 60, UTC) + timedelta(microseconds=100)

    assert send(env, deleted(LINKED, ts(0), at_ts=ts(120))).status == 200
    [gone] = stored(env)
    assert gone.text is None and gone.deleted_at is not None
    assert gone.topics == after.topics  # what it said stays as a signal; the words do not
    # An edit arriving after the deletion does not bring the text back.
    send(env, edited(LINKED, ts(0), "edited late", edited_ts=ts(180)))
    assert stored(env)[0].text is None


def test_an_edit_of_a_message_never_stored_stores_it_edited(env: SlackEnv) -> None:
    send(env, edited(LINKED, ts(5), "Is the outage over?", edited_ts=ts(30)))
    [row] = stored(env)
    assert row.text == "Is the outage over?" and row.edited_at is not None and "outage" in row.topics


def test_bot_and_internal_messages_are_kept_apart_from_the_customers(env: SlackEnv) -> None:
    send(env, message(LINKED, ts(0), "Morning all", user=INTERNAL, team=OWN_TEAM))
    send(env, bot_message(LINKED, ts(1), "Deploy finished"))
    send(env, message(LINKED, ts(2), "Hello from the customer"))
    kinds = {row.ts: row.author_kind for row in stored(env)}
    assert kinds == {ts(0): "internal", ts(1): "bot", ts(2): "customer"}
    with env.db.session_factory() as session:
        assert session.get(ConversationPerson, INTERNAL).kind == "internal"  # type: ignore[union-attr]


def test_a_message_naming_no_team_takes_its_authors_stored_kind(env: SlackEnv) -> None:
    def teamless(event: dict[str, object]) -> dict[str, object]:
        return {key: value for key, value in event.items() if key not in ("team", "user_team", "source_team")}

    send(env, message(LINKED, ts(0), "Morning all", user=INTERNAL, team=OWN_TEAM))  # recorded as internal
    send(env, teamless(message(LINKED, ts(1), "Following up on this", user=INTERNAL)))
    send(env, teamless(message(LINKED, ts(2), "Who is new here?", user="U0NEVERSEEN")))
    kinds = {row.ts: row.author_kind for row in stored(env)}
    assert kinds == {ts(0): "internal", ts(1): "internal", ts(2): "customer"}  # unknown: the customer's side


def test_an_internal_reply_in_the_thread_answers_the_customers_question(env: SlackEnv) -> None:
    send(env, message(LINKED, ts(0), "Can you check why the export fails?"))
    send(env, message(LINKED, ts(30), "Any news?", thread_ts=ts(0)))  # the customer again, in the thread
    send(env, message(LINKED, ts(40), "Unrelated question?", user="U0CUST002"))  # not in that thread
    assert all(row.answered_at is None for row in stored(env))

    send(
        env, message(LINKED, ts(600), "On it, fix ships today", user=INTERNAL, team=OWN_TEAM, thread_ts=ts(0))
    )
    answered = {row.ts: row.answered_at for row in stored(env)}
    reply_at = datetime.fromtimestamp(T0 + 600, UTC) + timedelta(microseconds=100)
    assert answered[ts(0)] == reply_at and answered[ts(30)] == reply_at
    assert answered[ts(40)] is None  # asked in the channel, not answered in that thread

    # A later internal message in the channel itself answers the channel's open question, and
    # never moves an earlier answer.
    send(env, message(LINKED, ts(900), "Anything else?", user=INTERNAL, team=OWN_TEAM))
    answered = {row.ts: row.answered_at for row in stored(env)}
    assert answered[ts(40)] == datetime.fromtimestamp(T0 + 900, UTC) + timedelta(microseconds=100)
    assert answered[ts(0)] == reply_at


@pytest.mark.parametrize("state", ["excluded", "unlinked", "proposed", "unmatched", None])
def test_a_channel_not_linked_stores_nothing(env: SlackEnv, state: str | None) -> None:
    channel = "C0ELSEWHR"
    if state is not None:
        add_channel(env.db.session_factory, channel, state=state, now=NOW)
    assert send(env, message(channel, ts(0), "We are evaluating another vendor")).status == 200
    assert send(env, edited(channel, ts(0), "cancel", edited_ts=ts(5))).status == 200
    assert stored(env, channel) == []
    with env.db.session_factory() as session:
        assert session.get(ConversationPerson, CUSTOMER) is None  # nobody is recorded either


def test_housekeeping_is_not_stored(env: SlackEnv) -> None:
    join = message(LINKED, ts(0), "<@U0CUST001> has joined the channel", subtype="channel_join")
    assert send(env, join).status == 200
    assert stored(env) == []


def test_a_garbled_message_event_is_refused_with_a_clear_log_and_nothing_stored(
    env: SlackEnv, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "the customer's private words"
    caplog.set_level(logging.INFO)
    reply = send(env, message(LINKED, "yesterday", secret), event_id="EvGARBLED")
    assert reply.status == 200  # acknowledged: Slack would only send the same garbage again
    assert send(env, message(LINKED, ts(1), secret, user=["U1"])).status == 200  # type: ignore[arg-type]
    assert stored(env) == []
    lines = [
        record.getMessage() for record in caplog.records if "ignored a message event" in record.getMessage()
    ]
    assert any(
        "EvGARBLED" in line and LINKED in line and "ts is not a Slack timestamp" in line for line in lines
    )
    assert any("user is not a Slack id" in line for line in lines)
    assert secret not in caplog.text  # never the text


def test_a_dm_is_left_to_the_assistant(env: SlackEnv) -> None:
    send(env, message("D0DIRECT1", ts(0), "hello", channel_type="im"))
    assert stored(env, "D0DIRECT1") == []
