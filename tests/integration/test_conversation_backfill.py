"""`listen backfill` against the Web API stand-in: conversations.history over several pages and
the threads through conversations.replies, stored the way events are; a 429 mid-way waited out
(Retry-After); a run stopped by Slack after two pages resumes from the stored cursor without
storing anything twice; a finished channel is not read again unless --days reaches further."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from bot.conversations.backfill import run_backfill
from storage.models import ConversationChannel, ConversationMessage
from tests.conftest import Database
from tests.integration.conftest import Run
from tests.integration.slack_env import SlackEnv, slack_env
from tests.support.conversation_events import CUSTOMER, CUSTOMER_TEAM, INTERNAL, OWN_TEAM, add_channel
from tests.support.factories import NOW

LINKED, EXCLUDED = "C0LINKED1", "C0EXCLUDE"
NOW_S = int(NOW.timestamp())
PARENTS = 450  # three pages of 200
THREADS = (7, 261)  # parents (by index) with a customer question and an internal answer in the thread


def ts(seconds_ago: int) -> str:
    return f"{NOW_S - seconds_ago}.000100"


@pytest.fixture
def env(db: Database) -> Iterator[SlackEnv]:
    # A stand-in needs no Tier 3 pacing; the 429s are its own.
    with slack_env(db, settings_env={"TANDEM_SLACK_TIER3_PER_MINUTE": 1_000_000}) as environment:
        add_channel(db.session_factory, LINKED, now=NOW)
        add_channel(db.session_factory, EXCLUDED, state="excluded", now=NOW)
        for index in range(PARENTS):  # one every 10 minutes, newest first
            internal = index % 5 == 0
            environment.api.add_message(
                LINKED, ts(600 * (index + 1)), "Can you look at the invoice?" if index in THREADS else f"update {index}",
                user=INTERNAL if internal else CUSTOMER, team=OWN_TEAM if internal else CUSTOMER_TEAM,
            )  # fmt: skip
        for index in THREADS:
            parent = ts(600 * (index + 1))
            environment.api.add_message(LINKED, ts(600 * (index + 1) - 60), "Any news on this?",
                                        user=CUSTOMER, team=CUSTOMER_TEAM, thread_ts=parent)  # fmt: skip
            environment.api.add_message(LINKED, ts(600 * (index + 1) - 120), "Fixed, sorry about that",
                                        user=INTERNAL, team=OWN_TEAM, thread_ts=parent)  # fmt: skip
        environment.api.add_message(EXCLUDED, ts(60), "never read", user=CUSTOMER, team=CUSTOMER_TEAM)
        environment.api.add_message(
            LINKED, ts(100 * 86400), "from long ago", user=CUSTOMER, team=CUSTOMER_TEAM
        )
        environment.api.add_message(
            LINKED, ts(30), "<@U0CUST001> has joined", user=CUSTOMER, subtype="channel_join"
        )
        yield environment


def backfill(env: SlackEnv, *args: str, days: int = 90, channel: str | None = None) -> tuple[int, str]:
    out = io.StringIO()
    code = run_backfill(env.deps, days=days, channel_id=channel, out=out)
    return code, out.getvalue()


def stored(env: SlackEnv) -> tuple[int, int]:
    """(messages stored in the linked channel, distinct ts among them)."""
    with env.db.session_factory() as session:
        where = ConversationMessage.channel_id == LINKED
        rows = session.scalar(select(func.count()).select_from(ConversationMessage).where(where))
        distinct = session.scalar(select(func.count(func.distinct(ConversationMessage.ts))).where(where))
        return int(rows or 0), int(distinct or 0)


def channel(env: SlackEnv, channel_id: str = LINKED) -> ConversationChannel:
    with env.db.session_factory() as session:
        row = session.get(ConversationChannel, channel_id)
        assert row is not None
        return row


EXPECTED = PARENTS + 2 * len(THREADS)  # the joins and the message older than 90 days are not kept


def test_history_is_read_page_by_page_with_its_threads_and_a_429_waited_out(env: SlackEnv) -> None:
    env.api.rate_limit_every("conversations.history", 3)  # the third call: 429, Retry-After: 1
    code, out = backfill(env)
    assert code == 0, out
    history = env.api.calls_to("conversations.history")
    assert [call.body.get("channel") for call in history] == [LINKED] * 4  # 3 pages + the retried one
    assert history[3].at - history[2].at >= 0.95  # the 429's Retry-After (1 s) honoured
    assert [call.body.get("cursor") for call in history] == [None, "200", "400", "400"]
    assert all(float(call.body["oldest"]) == NOW_S - 90 * 86400 for call in history)
    assert len(env.api.calls_to("conversations.replies")) == len(THREADS)
    assert stored(env) == (EXPECTED, EXPECTED)
    assert (channel(env).backfill_state, channel(env).backfill_cursor) == ("done", None)
    assert f"{LINKED}: 3 pages, {EXPECTED + 1} messages read, {EXPECTED} new; done" in out  # + the join
    assert "never read" not in out and "invoice" not in out  # no text in the report
    with env.db.session_factory() as session:
        questions = session.scalars(
            select(ConversationMessage).where(ConversationMessage.text == "Can you look at the invoice?")
        ).all()
        # Read newest first, the answer in the thread is stored before… and after the question.
        assert len(questions) == 2 and all(q.answered_at is not None for q in questions), [
            (q.ts, q.thread_ts, q.author_kind, q.is_question, q.answered_at) for q in questions
        ]
        kinds = dict(
            session.execute(
                select(ConversationMessage.author_kind, func.count()).group_by(
                    ConversationMessage.author_kind
                )
            ).all()
        )
        assert kinds == {
            "internal": PARENTS // 5 + len(THREADS),
            "customer": EXPECTED - PARENTS // 5 - len(THREADS),
        }
        assert session.scalar(select(func.count()).where(ConversationMessage.channel_id == EXCLUDED)) == 0


def test_a_stopped_backfill_resumes_from_its_cursor_and_stores_nothing_twice(env: SlackEnv) -> None:
    env.api.fail_calls_to("conversations.history", 500, times=3, after=2)  # page 3 fails, retries too
    code, out = backfill(env)
    assert code == 1 and "stopped by Slack (internal_error); rerun to continue from page 3" in out
    first = stored(env)
    # Two pages: the newest entry (a join, not kept) and 399 messages, and both threads.
    assert first[0] == first[1] == 399 + 2 * len(THREADS)
    assert (channel(env).backfill_state, channel(env).backfill_cursor) == ("running", "400")

    before = len(env.api.calls_to("conversations.history"))
    code, out = backfill(env)
    assert code == 0, out
    resumed = env.api.calls_to("conversations.history")[before:]
    assert [call.body.get("cursor") for call in resumed] == ["400"]  # from where it stopped
    assert "(resumed from its stored cursor)" in out and f"{PARENTS - 399} new" in out
    assert stored(env) == (EXPECTED, EXPECTED)
    assert channel(env).backfill_state == "done"

    # Done: a rerun reads nothing; --days reaching further back reads again, storing only the new.
    before = len(env.api.calls_to("conversations.history"))
    code, out = backfill(env)
    assert code == 0 and "already done" in out
    assert len(env.api.calls_to("conversations.history")) == before
    code, out = backfill(env, days=120)
    assert code == 0 and "1 new; done" in out
    assert stored(env) == (EXPECTED + 1, EXPECTED + 1)


def test_a_channel_not_linked_is_refused_by_name(env: SlackEnv) -> None:
    code, out = backfill(env, channel=EXCLUDED)
    assert code == 1 and f"{EXCLUDED} is excluded, not linked: its history is not read" in out
    code, out = backfill(env, channel="C0UNKNOWN")
    assert code == 1 and "C0UNKNOWN is not a channel Tandem was invited to" in out
    assert env.api.calls_to("conversations.history") == []


def test_the_command_needs_a_bot_token_and_a_sensible_number_of_days(cli: Run) -> None:
    code, out = cli("listen", "backfill")
    assert code == 2 and "needs SLACK_BOT_TOKEN" in out
    with pytest.raises(SystemExit):
        cli("listen", "backfill", "--days", "0")
