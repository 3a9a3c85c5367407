"""Issue 17's "done when", end to end over signed Slack requests and the Web API stand-in:
Tandem is added to a Slack Connect channel, matches it to the account by its members' email
domain, the owner links it; the customer's "we are evaluating another vendor" reaches the owner
as a sentiment card citing the message's permalink in the same day's cycle; a customer question
no one answers becomes a customer_waiting card after N working hours (a weekend in between);
after the retention period only the signals remain."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.ids import ChannelLinkAction, ChannelLinkBlock
from bot.workflows.channels.retention import purge_due
from bot.workflows.cycle import run_cycle
from storage.enums import ChannelState
from storage.models import Account, ConversationMessage, Signal
from tests.conftest import Database
from tests.integration.channel_support import (
    CUSTOMER_TEAM,
    acme_channel,
    bot_added,
    channel_row,
    send_event,
    set_account,
)
from tests.integration.slack_env import SlackEnv, slack_env
from tests.support.conversation_events import message
from tests.support.factories import OWNER
from tests.support.waiting import wait_for

CHANNEL = "C0ACME001"
CUSTOMER = "U0EXT000"  # jo@acme.com, in acme_channel


@pytest.fixture
def env(db: Database) -> Iterator[SlackEnv]:
    with slack_env(db) as environment:
        set_account(environment, domain="acme.com", timezone="America/New_York")
        yield environment


def _link(env: SlackEnv) -> None:
    """Tandem added to the channel; the owner's card; the owner clicks Link."""
    acme_channel(env, CHANNEL)
    assert bot_added(env, CHANNEL, event_id="Ev-join") == 200
    row = wait_for(lambda: (r := channel_row(env, CHANNEL)) is not None and r.proposal_ts and r)
    assert row.state == ChannelState.PROPOSED and row.account_id == "ACC-1"
    reply = env.slack.block_action(
        ChannelLinkAction.LINK, f"{CHANNEL}|ACC-1", user_id=OWNER, channel_id=row.proposal_channel,
        message_ts=row.proposal_ts, response_url=env.api.response_url("owner"), block_id=ChannelLinkBlock.ACTIONS,
    )  # fmt: skip
    assert reply.status == 200
    wait_for(lambda: (r := channel_row(env, CHANNEL)) is not None and r.state == ChannelState.LINKED)


def _say(env: SlackEnv, at: datetime, text: str, *, event_id: str) -> str:
    ts = f"{at.timestamp():.6f}"
    event = message(CHANNEL, ts, text, user=CUSTOMER, team=CUSTOMER_TEAM)
    assert send_event(env, event, event_id=event_id) == 200
    return ts


def _cycle(env: SlackEnv, at: datetime) -> None:
    env.clock.current = at
    run_cycle(env.deps, as_of=at.date())


def _owner_cards(env: SlackEnv) -> list[dict[str, Any]]:
    return [c.body for c in env.api.calls_to("chat.postMessage") if c.body.get("channel") == OWNER
            and "escalation-card-cited" in json.dumps(c.body.get("blocks"))]  # fmt: skip


def _signals(env: SlackEnv, trigger: str) -> list[Signal]:
    with env.db.session_factory() as session:
        return list(session.scalars(select(Signal).where(Signal.trigger == trigger)))


def test_a_customer_saying_they_evaluate_another_vendor_reaches_the_owner_the_same_day(env: SlackEnv) -> None:
    env.clock.current = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)  # a Monday
    _link(env)
    said = _say(env, datetime(2026, 3, 2, 14, 5, tzinfo=UTC), "Honest heads up: we are evaluating another vendor.",
                event_id="Ev-vendor")  # fmt: skip
    _cycle(env, datetime(2026, 3, 2, 16, 0, tzinfo=UTC))

    [signal] = _signals(env, "sentiment")
    assert signal.account_id == "ACC-1" and signal.route == "human"
    [card] = _owner_cards(env)
    shown = json.dumps(card["blocks"])
    permalinks = [c for c in env.api.calls_to("chat.getPermalink") if c.body.get("message_ts") == said]
    assert permalinks, "the card's citation did not ask Slack for the message's permalink"
    assert f"p{said.replace('.', '')}" in shown  # the permalink to the message itself
    assert "evaluating another vendor" in shown and "```" in shown  # a short, fenced excerpt


def test_a_customer_question_nobody_answers_becomes_customer_waiting_after_n_working_hours(
    env: SlackEnv,
) -> None:
    env.clock.current = datetime(2026, 3, 6, 19, 0, tzinfo=UTC)  # Friday 14:00 in New York
    _link(env)
    asked = _say(
        env,
        datetime(2026, 3, 6, 20, 0, tzinfo=UTC),
        "Could you confirm when the SSO fix ships?",
        event_id="Ev-q",
    )
    with env.db.session_factory() as session:
        [stored] = session.scalars(select(ConversationMessage)).all()
        assert stored.is_question and stored.answered_at is None and stored.author_kind == "customer"
    # Friday 15:00 NY asked; Friday 17:00 ends the day (2 h), Monday 09:00 + 2 h = 11:00 NY.
    _cycle(env, datetime(2026, 3, 9, 14, 30, tzinfo=UTC))  # Monday 10:30 NY: 3.5 working hours
    assert _signals(env, "customer_waiting") == []
    assert _owner_cards(env) == []
    _cycle(env, datetime(2026, 3, 10, 15, 0, tzinfo=UTC))  # Tuesday: well past 4 working hours
    [waiting] = _signals(env, "customer_waiting")
    assert waiting.account_id == "ACC-1"
    [card] = _owner_cards(env)  # to the owner, citing the question itself
    assert f"p{asked.replace('.', '')}" in json.dumps(card["blocks"])


def test_after_the_retention_period_only_the_signals_remain(env: SlackEnv) -> None:
    env.clock.current = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
    _link(env)
    _say(env, datetime(2026, 3, 2, 14, 5, tzinfo=UTC), "We are evaluating another vendor.", event_id="Ev-old")
    _cycle(env, datetime(2026, 3, 2, 16, 0, tzinfo=UTC))
    assert len(_signals(env, "sentiment")) == 1
    env.clock.current = datetime(2026, 6, 2, 12, 0, tzinfo=UTC)  # 92 days later (default: 90)
    assert purge_due(env.deps) == 1
    with env.db.session_factory() as session:
        [kept] = session.scalars(select(ConversationMessage)).all()
        assert kept.text is None and kept.text_purged_at is not None
        assert "competitor" in kept.topics and kept.tone is not None  # what was derived stays
        assert session.get(Account, "ACC-1") is not None
    assert len(_signals(env, "sentiment")) == 1
