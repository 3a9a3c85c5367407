"""Retention of message text from Slack Connect channels: the daily purge empties texts past their
retention date (derived fields stay), `python app.py listen purge` does it now and says how many,
and ops' Purge now (behind a confirm dialog, in App Home) empties one channel's texts at once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.ids import ChannelLinkAction
from bot.scheduler import conversation_purge_job
from bot.workflows.channels.retention import purge_due
from bot.workflows.home import home_view_for
from storage.db import make_engine, transaction
from storage.models import ConversationChannel, ConversationMessage
from tests.conftest import Database
from tests.integration.channel_support import add_channel_with_messages, home_click, messages_of
from tests.integration.conftest import Run
from tests.integration.slack_env import SlackEnv, slack_env
from tests.support.factories import OPS, OWNER, add_account, add_people
from tests.support.waiting import wait_for

DAY = timedelta(days=1)


@pytest.fixture
def env(sqlite_db: Database) -> Iterator[SlackEnv]:
    with slack_env(sqlite_db) as environment:
        yield environment


def _seed_two_channels(env: SlackEnv) -> datetime:
    now = env.clock.now()
    add_channel_with_messages(env, "C0ACME001", messages=[
        (now - 100 * DAY, now - 10 * DAY, "we are evaluating another vendor"),  # past its date
        (now - 91 * DAY, now - DAY, "what does the renewal cost?"),  # past its date
        (now - 5 * DAY, now + 85 * DAY, "thanks, that works"),  # kept
    ])  # fmt: skip
    add_channel_with_messages(env, "C0GLOBEX1", messages=[(now - 3 * DAY, now + 87 * DAY, "hello")])
    return now


def test_the_purge_empties_texts_past_their_date_and_keeps_what_was_derived(env: SlackEnv) -> None:
    now = _seed_two_channels(env)
    assert purge_due(env.deps, batch=1) == 2  # bounded batches, one transaction each
    rows = messages_of(env, "C0ACME001")
    assert [m.text for m in rows] == [None, None, "thanks, that works"]
    assert [m.text_purged_at for m in rows] == [now, now, None]
    for row in rows:  # only the derived fields remain, and they all do
        assert (row.tone, row.is_question, row.topics, row.author_kind) == (-0.4, True, ["price"], "customer")
        assert row.posted_at is not None and row.answered_at == row.posted_at and row.user_id
    assert [m.text for m in messages_of(env, "C0GLOBEX1")] == ["hello"]
    assert purge_due(env.deps) == 0  # again: nothing left to purge

    env.clock.advance(days=88)  # the scheduled job, once every date has passed
    from bot import scheduler

    scheduler._running = env.deps
    try:
        conversation_purge_job()
    finally:
        scheduler._running = None
    assert [m.text for m in messages_of(env, "C0ACME001")] == [None, None, None]
    assert [m.text for m in messages_of(env, "C0GLOBEX1")] == [None]


def test_listen_purge_purges_now_and_prints_how_many(cli: Run, tmp_path: Path) -> None:
    assert cli("db", "upgrade")[0] == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    from sqlalchemy.orm import sessionmaker

    factory = sessionmaker(engine, expire_on_commit=False)
    now = datetime.now(UTC)
    with transaction(factory) as session:
        add_people(session)
        add_account(session)
        session.add(ConversationChannel(channel_id="C0ACME001", name="acme", external_team_ids=["T9"],
                                        account_id="ACC-1", state="linked", created_at=now, updated_at=now))  # fmt: skip
        session.flush()
        for number, until in enumerate((now - DAY, now - 2 * DAY, now + 30 * DAY)):
            session.add(ConversationMessage(channel_id="C0ACME001", ts=f"17000000{number}.000100", account_id="ACC-1",
                                            author_kind="customer", posted_at=now - 60 * DAY, text=f"text {number}",
                                            keep_text_until=until, topics=[], received_at=now))  # fmt: skip
    code, out = cli("listen", "purge")
    assert (code, out.strip()) == (0, "purged the text of 2 messages past their retention date")
    with factory() as session:
        texts = sorted(str(text) for text in session.scalars(select(ConversationMessage.text)))
    assert texts == ["None", "None", "text 2"]
    assert cli("listen", "purge")[1].strip() == "purged the text of 0 messages past their retention date"
    engine.dispose()


def _purge_button(view: dict[str, Any], channel: str) -> dict[str, Any]:
    for block in view["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == ChannelLinkAction.PURGE and element.get("value") == channel:
                return dict(element)
    raise AssertionError(f"no Purge now for {channel}")


def test_ops_purge_now_behind_a_confirm_purges_one_channel_only(env: SlackEnv) -> None:
    now = _seed_two_channels(env)
    view = home_view_for(env.deps, slack_id=OPS)
    shown = json.dumps(view)
    assert "*Slack Connect channels* (2 linked)" in shown
    assert "3 messages stored, 3 with text; oldest text from <!date^" in shown
    until = int((now + 85 * DAY).timestamp())  # the latest date a text of the channel is kept to
    assert f"text kept until <!date^{until}^" in shown  # in the viewer's own time zone
    button = _purge_button(view, "C0ACME001")
    assert button["confirm"]["confirm"]["text"] == "Purge now"
    assert "The text of 3 stored messages in #c0acme001 goes now" in button["confirm"]["text"]["text"]

    assert home_click(env, ChannelLinkAction.PURGE, "C0ACME001", user=OWNER) == 200  # a CSM: refused
    told = wait_for(
        lambda: [c.body["text"] for c in env.api.calls_to("chat.postMessage") if c.body["channel"] == OWNER]
    )
    assert told == ["Only ops and admins can purge a channel's stored text. Nothing was changed."]
    assert [m.text is not None for m in messages_of(env, "C0ACME001")] == [True, True, True]

    assert home_click(env, ChannelLinkAction.PURGE, "C0ACME001", user=OPS) == 200
    told = wait_for(
        lambda: [c.body["text"] for c in env.api.calls_to("chat.postMessage") if c.body["channel"] == OPS]
    )
    assert told == [
        "Purged the text of 3 messages in <#C0ACME001>; only the signals derived from them remain."
    ]
    assert [m.text for m in messages_of(env, "C0ACME001")] == [None, None, None]
    assert [m.text for m in messages_of(env, "C0GLOBEX1")] == ["hello"]  # the other channel keeps its text
    republished = wait_for(lambda: env.api.calls_to("views.publish"))
    assert "3 messages stored, 0 with text." in json.dumps(republished[-1].body)

    assert home_click(env, ChannelLinkAction.PURGE, "C0ACME001", user=OPS) == 200  # twice: harmless
    wait_for(lambda: len([c for c in env.api.calls_to("chat.postMessage") if c.body["channel"] == OPS]) == 2)
    again = [c.body["text"] for c in env.api.calls_to("chat.postMessage") if c.body["channel"] == OPS][-1]
    assert again == "<#C0ACME001> holds no message text (already purged). Nothing was changed."
