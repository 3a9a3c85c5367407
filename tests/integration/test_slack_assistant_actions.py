"""Requests asked in words, acted on only behind Confirm (bot.assistant.actions), over signed
Slack requests into the Bolt app and the Web API stand-in, on both backends: `propose` stores a
pending action and returns the Confirm card (posted here through the stand-in, as the router
would); a click on Confirm is checked, consumed once, refused when expired, carried out through
the workflow the buttons use, logged as coming from the conversation, and the card updated in
place. A stranger's click and a request outside the asker's scope change and reveal nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.assistant.actions import EXPIRES_AFTER, propose
from bot.assistant.grammar import parse
from bot.assistant.types import Ask, Intent, Reply, Turn
from bot.ids import AssistantActionBlock, AssistantActionId
from bot.slack_client import make_web_client
from storage.db import transaction
from storage.enums import CardState
from storage.models import Account, AssistantAction, EscalationCard, OutboxMessage, OverrideRecord, Signal
from storage.repositories import outbox
from storage.repositories.facts import load_account_facts
from tests.conftest import Database
from tests.integration.seeded_env import seeded_story
from tests.integration.slack_env import TOKEN, PostedCard, SlackEnv, slack_env
from tests.support.factories import MANAGER, OPS, OTHER_CSM, OWNER
from tests.support.waiting import wait_for

DM = "D0ASSIST1"


@pytest.fixture
def env(db: Database) -> Iterator[SlackEnv]:
    with slack_env(db) as environment:
        yield environment


def _turn(text: str, user: str = OWNER, *, card: PostedCard | None = None) -> Turn:
    if card is not None:  # a reply in the card's thread
        return Turn(
            user, card.channel, card.ts, "1772442000.000200", text, card_id=card.card_id, account_id="ACC-1"
        )
    return Turn(user, DM, "1772442000.000100", "1772442000.000100", text)


def _ask(env: SlackEnv, text: str, user: str = OWNER, *, card: PostedCard | None = None) -> Reply:
    ask = parse(text)
    assert ask is not None and ask.intent in {Intent.PAUSE, Intent.ALWAYS_HUMAN, Intent.FLAG, Intent.SNOOZE,
                                              Intent.TAKE_OVER}, ask  # fmt: skip
    return propose(env.deps, _turn(text, user, card=card), ask)


def _post(env: SlackEnv, reply: Reply, channel: str = DM, thread_ts: str | None = None) -> str:
    """The Confirm card, posted through the stand-in as the conversation would; its ts."""
    client = make_web_client(token=TOKEN, api_url=env.api.api_url)
    return str(
        client.chat_postMessage(channel=channel, text=reply.text, blocks=reply.blocks, thread_ts=thread_ts)[
            "ts"
        ]
    )


def _click(env: SlackEnv, reply: Reply, ts: str, *, user: str, hook: str, cancel: bool = False,
           channel: str = DM) -> None:  # fmt: skip
    assert reply.action_id is not None
    status = env.slack.block_action(
        AssistantActionId.CANCEL if cancel else AssistantActionId.CONFIRM,
        str(reply.action_id),
        user_id=user,
        channel_id=channel,
        message_ts=ts,
        response_url=env.api.response_url(hook),
        block_id=AssistantActionBlock.ACTIONS,
        message_blocks=reply.blocks,
    ).status
    assert status == 200


def _told(env: SlackEnv, hook: str) -> str:
    return str(wait_for(lambda: env.api.responses_at(hook))[0].body["text"])


def _updates(env: SlackEnv, ts: str) -> list[dict[str, Any]]:
    return [c.body for c in env.api.calls_to("chat.update") if c.body.get("ts") == ts]


def _updated_text(env: SlackEnv, ts: str, count: int = 1) -> str:
    found = wait_for(lambda: _updates(env, ts) if len(_updates(env, ts)) >= count else [])
    return json.dumps(found[-1]["blocks"])


def _action(env: SlackEnv, action_id: int | None) -> AssistantAction:
    with env.db.session_factory() as session:
        row = session.get(AssistantAction, action_id)
        assert row is not None
        return row


def _account(env: SlackEnv) -> Account:
    with env.db.session_factory() as session:
        account = session.get(Account, "ACC-1")
        assert account is not None
        return account


def _log(env: SlackEnv) -> list[OverrideRecord]:
    with env.db.session_factory() as session:
        return list(session.scalars(select(OverrideRecord).order_by(OverrideRecord.id)))


def _buttons(blocks: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    return [
        (e["text"]["text"], e["action_id"], e.get("style"))
        for b in blocks if b["type"] == "actions" for e in b["elements"]
    ]  # fmt: skip


# ------------------------------------------------------------------ pause, end to end


def test_pause_confirmed_by_the_owner_pauses_logs_and_updates_the_card(env: SlackEnv) -> None:
    reply = _ask(env, "pause automation on Acme Corp for 2 weeks, they're mid-migration")
    assert reply.text.startswith("Pause automation on *Acme Corp* for 14 days")
    assert _buttons(reply.blocks) == [
        ("Confirm", AssistantActionId.CONFIRM, "primary"), ("Cancel", AssistantActionId.CANCEL, None)
    ]  # fmt: skip
    assert {e["value"] for b in reply.blocks if b["type"] == "actions" for e in b["elements"]} == {
        str(reply.action_id)
    }
    row = _action(env, reply.action_id)
    assert (row.state, row.requester, row.action, row.account_id, row.args["days"]) == (
        "pending",
        OWNER,
        "pause",
        "ACC-1",
        14,
    )
    assert row.expires_at == env.clock.now() + EXPIRES_AFTER
    assert _account(env).automation_paused_until is None  # nothing happens before the click

    ts = _post(env, reply)
    _click(env, reply, ts, user=OWNER, hook="confirm")
    shown = _updated_text(env, ts)
    assert f"Done by <@{OWNER}>" in shown and "Confirm" not in shown and "paused until" in shown
    account = _account(env)
    assert account.automation_paused_until == env.clock.now() + timedelta(days=14)
    assert account.automation_paused_by == OWNER
    row = _action(env, reply.action_id)
    assert (row.state, row.decided_by, row.message_ts) == ("confirmed", OWNER, ts)
    log = _log(env)
    assert [r.action for r in log] == ["paused", "from_chat_pause"]
    assert log[-1].reason is not None and log[-1].reason.startswith(
        "from the conversation: pause automation on Acme Corp"
    )
    assert "from the conversation" in (log[0].reason or "")

    # the facts say paused through the day the pause ends, and not after: automation resumes by itself
    with env.db.session_factory() as session:
        end = (env.clock.now() + timedelta(days=14)).date()
        paused = [load_account_facts(session, as_of=day, account_ids=["ACC-1"])[0].automation_paused
                  for day in (env.clock.now().date(), end, end + timedelta(days=1))]  # fmt: skip
    assert paused == [True, True, False]


def test_pause_cancels_queued_automated_touches(env: SlackEnv) -> None:
    with transaction(env.db.session_factory) as session:
        outbox.enqueue(
            session, idempotency_key="auto:ACC-1", account_id="ACC-1", card_id=None, channel="email",
            recipient="ops@acme.example", subject="Hi", body="Hello", now=env.clock.now(),
            send_after=env.clock.now() + timedelta(hours=4),
        )  # fmt: skip
    reply = _ask(env, "pause automation on ACC-1 for 10 days")
    ts = _post(env, reply)
    _click(env, reply, ts, user=OWNER, hook="confirm")
    assert "1 queued automated message(s) cancelled" in _updated_text(env, ts)
    with env.db.session_factory() as session:
        assert [m.state for m in session.scalars(select(OutboxMessage))] == ["cancelled"]


def test_after_a_confirmed_pause_the_next_cycle_queues_nothing_automated(db: Database) -> None:
    with seeded_story(db) as story:
        account_id = story.planted["safe_to_automate"]
        owner = story.owner("safe_to_automate")
        with story.db.session_factory() as session:
            account = session.get(Account, account_id)
            assert account is not None
            name = account.name
        text = f"pause automation on {account_id} for 14 days"
        reply = propose(
            story.deps, Turn(owner, DM, "1.1", "1.1", text), Ask(Intent.PAUSE, account_id, days=14)
        )
        assert reply.action_id is not None and name in reply.text
        ts = str(make_web_client(token=TOKEN, api_url=story.api.api_url)
                 .chat_postMessage(channel=DM, text=reply.text, blocks=reply.blocks)["ts"])  # fmt: skip
        story.slack.block_action(
            AssistantActionId.CONFIRM, str(reply.action_id), user_id=owner, channel_id=DM, message_ts=ts,
            response_url=story.api.response_url("c"), block_id=AssistantActionBlock.ACTIONS,
        )  # fmt: skip
        wait_for(lambda: [c for c in story.api.calls_to("chat.update") if c.body.get("ts") == ts])
        with story.db.session_factory() as session:
            account = session.get(Account, account_id)
            assert account is not None and account.automation_paused_until is not None
        story.cycle()
        assert [t for t in story.touches("safe_to_automate") if t.card_id is None] == []
        fired = story.signals("safe_to_automate")
        assert fired and all(s.route == "human" for s in fired.values())
        assert all(s.reasons["codes"][0] == "automation_paused" for s in fired.values())


# ------------------------------------------------------------------ who may click, and how often


def test_a_strangers_click_is_refused_and_changes_nothing(env: SlackEnv) -> None:
    reply = _ask(env, "pause automation on Acme Corp for 14 days")
    ts = _post(env, reply)
    _click(env, reply, ts, user=OTHER_CSM, hook="stranger")
    assert "can answer this request. Nothing was changed." in _told(env, "stranger")
    assert _action(env, reply.action_id).state == "pending"
    assert _account(env).automation_paused_until is None
    assert _updates(env, ts) == [] and _log(env) == []


def test_a_second_click_is_refused_with_who_did_it(env: SlackEnv) -> None:
    reply = _ask(env, "always human on Acme Corp")
    ts = _post(env, reply)
    _click(env, reply, ts, user=OWNER, hook="one")
    _updated_text(env, ts)
    _click(env, reply, ts, user=MANAGER, hook="two")
    assert _told(env, "two").startswith(f"Already confirmed by <@{OWNER}>")
    assert len(_updates(env, ts)) == 1
    assert [r.action for r in _log(env)] == ["vetoed", "from_chat_always_human"]
    assert _account(env).always_human and _account(env).always_human_by == OWNER


def test_a_click_after_expiry_is_refused_and_the_card_says_so(env: SlackEnv) -> None:
    reply = _ask(env, "pause automation on Acme Corp for 14 days")
    ts = _post(env, reply)
    env.clock.current = env.clock.now() + EXPIRES_AFTER + timedelta(seconds=1)
    _click(env, reply, ts, user=OWNER, hook="late")
    assert "expired" in _told(env, "late")
    assert "expired" in _updated_text(env, ts)
    assert _action(env, reply.action_id).state == "expired"
    assert _account(env).automation_paused_until is None and _log(env) == []


def test_cancel_closes_the_request_and_does_nothing(env: SlackEnv) -> None:
    reply = _ask(env, "flag Acme Corp: their champion left last week")
    ts = _post(env, reply)
    _click(env, reply, ts, user=OWNER, hook="cancel", cancel=True)
    assert f"Cancelled by <@{OWNER}>" in _updated_text(env, ts)
    assert _action(env, reply.action_id).state == "cancelled"
    _click(env, reply, ts, user=OWNER, hook="late-confirm")
    assert _told(env, "late-confirm").startswith(f"Already cancelled by <@{OWNER}>")
    assert env.count(Signal) == 0 and _log(env) == []


def test_a_manager_confirms_their_csms_request(env: SlackEnv) -> None:
    reply = _ask(env, "pause automation on Acme Corp for 7 days")
    ts = _post(env, reply)
    _click(env, reply, ts, user=MANAGER, hook="manager")
    assert f"Done by <@{MANAGER}>" in _updated_text(env, ts)
    assert _account(env).automation_paused_by == MANAGER
    assert (
        _log(env)[-1].reason
        == f"from the conversation: pause automation on Acme Corp for 7 days (asked by <@{OWNER}>)"
    )


def test_typed_yes_is_not_a_confirmation(env: SlackEnv) -> None:
    reply = _ask(env, "pause automation on Acme Corp for 14 days")
    # the grammar reads no confirmation into a typed answer; only the Confirm button's action consumes it
    assert [parse(text) for text in ("yes", "Yes!", "confirm", "ok do it")] == [None, None, None, None]
    assert _action(env, reply.action_id).state == "pending" and _account(env).automation_paused_until is None
    ts = _post(env, reply)
    _click(env, reply, ts, user=OWNER, hook="confirm")  # the click still works: the answer changed nothing
    wait_for(lambda: _account(env).automation_paused_until)


# ------------------------------------------------------------------ each kind


def test_flag_confirmed_becomes_a_card_for_a_person(env: SlackEnv) -> None:
    reply = _ask(env, "flag Acme Corp: their champion left last week", user=OPS)
    assert "their champion left last week" in reply.text
    ts = _post(env, reply)
    _click(env, reply, ts, user=OPS, hook="flag")
    assert "a card is with" in _updated_text(env, ts)
    with env.db.session_factory() as session:
        signal = session.scalars(select(Signal).where(Signal.trigger == "manual_flag")).one()
    assert signal.details["flagged_by"] == OPS and signal.details["reason"] == "their champion left last week"
    assert _log(env)[-1].action == "from_chat_flag"


def test_snooze_in_a_cards_thread(env: SlackEnv) -> None:
    card = env.post_card()
    assert "Say it in the card's thread" in _ask(env, "snooze this for 3 days").text  # not in a card's thread
    reply = _ask(env, "snooze this for 3 days", card=card)
    assert reply.text.startswith("Snooze *Acme Corp*'s card for 3 days?")
    ts = _post(env, reply, channel=card.channel, thread_ts=card.ts)
    _click(env, reply, ts, user=OWNER, hook="snooze", channel=card.channel)
    assert "card sleeps until" in _updated_text(env, ts)
    posted = env.card(card.card_id)
    assert posted.snooze_mode == "3d" and posted.snoozed_by == OWNER
    assert [r.action for r in _log(env)][-2:] == ["snoozed", "from_chat_snooze"]


def test_take_over_in_a_cards_thread_posts_the_packet(env: SlackEnv) -> None:
    card = env.post_card()
    reply = _ask(env, "I'll take this over", card=card)
    ts = _post(env, reply, channel=card.channel, thread_ts=card.ts)
    _click(env, reply, ts, user=OWNER, hook="take", channel=card.channel)
    assert "took over Acme Corp" in _updated_text(env, ts)
    assert env.card(card.card_id).state == CardState.TAKEN_OVER
    packet = wait_for(lambda: [c.body for c in env.api.calls_to("chat.postMessage")
                               if c.body.get("thread_ts") == card.ts and "Hand back" in json.dumps(c.body.get("blocks"))])  # fmt: skip
    assert packet[0]["channel"] == card.channel
    assert _account(env).human_handled_by == OWNER
    assert "from_chat_take_over" in [r.action for r in _log(env)]


# ------------------------------------------------------------------ refused at propose


@pytest.mark.parametrize("text", ["pause automation on Acme Corp for 14 days", "always human on ACC-1",
                                  "flag Acme Corp: hm"])  # fmt: skip
def test_an_account_outside_the_scope_is_refused_and_nothing_is_stored(env: SlackEnv, text: str) -> None:
    with transaction(env.db.session_factory) as session:
        session.get(Account, "ACC-1").segment = "enterprise"  # type: ignore[union-attr]
    reply = _ask(env, text, user=OTHER_CSM)
    assert reply.action_id is None and reply.blocks == []
    assert "Nothing was changed." in reply.text and "Only the CSM of" in reply.text
    assert "enterprise" not in reply.text and "60" not in reply.text
    assert env.count(AssistantAction) == 0


def test_this_in_someone_elses_card_thread_does_not_name_the_account(env: SlackEnv) -> None:
    card = env.post_card()
    reply = _ask(env, "take this over", user=OTHER_CSM, card=card)
    assert reply.action_id is None and "Acme" not in reply.text and env.count(AssistantAction) == 0


def test_missing_arguments_are_asked_for(env: SlackEnv) -> None:
    assert (
        "For how many days?"
        in propose(env.deps, _turn("pause automation on Acme Corp"), Ask(Intent.PAUSE, "Acme Corp")).text
    )
    assert "1 to 90 days" in propose(env.deps, _turn("pause"), Ask(Intent.PAUSE, "Acme Corp", days=120)).text
    assert "Say why" in propose(env.deps, _turn("flag Acme Corp"), Ask(Intent.FLAG, "Acme Corp")).text
    assert "No account matches 'Acme Crop'" in _ask(env, "always human on Acme Crop").text
    with env.db.session_factory() as session:
        assert list(session.scalars(select(EscalationCard))) == []
    assert env.count(AssistantAction) == 0
