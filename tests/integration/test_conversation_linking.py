"""Slack Connect channels linked to accounts, over signed Slack events and clicks: Tandem added to
a channel reads it (conversations.info, conversations.members, users.info), matches its external
members' email domains to an account and asks the owner; Link, Not this account, Exclude and
Unlink are guarded (owner or ops only, safe twice); ops link unmatched channels from App Home."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.ids import ChannelLinkAction, ChannelLinkBlock, ChannelLinkModal
from storage.db import transaction
from storage.enums import AuthorKind, ChannelState
from storage.models import ConversationPerson
from tests.conftest import Database
from tests.integration.channel_support import (
    BOT,
    CUSTOMER_TEAM,
    acme_channel,
    add_messages,
    bot_added,
    channel_row,
    home_click,
    messages_of,
    send_event,
    set_account,
)
from tests.integration.slack_env import SlackEnv, slack_env
from tests.support import factories
from tests.support.factories import OPS, OTHER_CSM, OWNER
from tests.support.waiting import wait_for

CHANNEL = "C0ACME001"


@pytest.fixture
def env(sqlite_db: Database) -> Iterator[SlackEnv]:
    with slack_env(sqlite_db) as environment:
        set_account(environment, domain="acme.com")
        yield environment


def _decoded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _proposed(env: SlackEnv, channel: str = CHANNEL) -> tuple[str, str, list[dict[str, Any]]]:
    """Tandem added to the channel; the owner's card posted: (its DM channel, ts, blocks)."""
    assert bot_added(env, channel, event_id=f"Ev-join-{channel}") == 200
    wait_for(lambda: (r := channel_row(env, channel)) is not None and r.proposal_ts)
    row = channel_row(env, channel)
    assert row is not None
    assert row.state == ChannelState.PROPOSED and row.account_id == "ACC-1"
    assert row.proposal_channel is not None and row.proposal_ts is not None
    card = [c for c in env.api.calls_to("chat.postMessage") if c.body.get("channel") == OWNER]
    assert len(card) == 1
    return row.proposal_channel, row.proposal_ts, _decoded(card[0].body["blocks"])


def _click(
    env: SlackEnv, action: str, where: tuple[str, str], *, user: str, value: str = f"{CHANNEL}|ACC-1"
) -> int:
    return env.slack.block_action(
        action, value, user_id=user, channel_id=where[0], message_ts=where[1],
        response_url=env.api.response_url(user), block_id=ChannelLinkBlock.ACTIONS,
    ).status  # fmt: skip


def _said_to(env: SlackEnv, user: str) -> list[str]:
    return [str(c.body.get("text")) for c in env.api.responses_at(user)]


def _dms_to(env: SlackEnv, user: str) -> list[str]:
    return [
        str(c.body.get("text")) for c in env.api.calls_to("chat.postMessage") if c.body.get("channel") == user
    ]


def test_the_owner_confirms_a_channel_matched_by_domain_and_a_second_click_changes_nothing(
    env: SlackEnv,
) -> None:
    acme_channel(env)
    dm, ts, blocks = _proposed(env)
    text = json.dumps(blocks)
    assert "Link it to *Acme Corp* (ACC-1)?" in text
    assert "2 of 3 external members with an email have @acme.com" in text  # the match's reason
    buttons = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert buttons == [ChannelLinkAction.LINK, ChannelLinkAction.NOT_THIS, ChannelLinkAction.EXCLUDE]
    # Members were classified by their team, once, and cached.
    with env.db.session_factory() as session:
        kinds = dict(session.execute(select(ConversationPerson.user_id, ConversationPerson.kind)).all())
    assert kinds == {BOT: AuthorKind.BOT, OWNER: AuthorKind.INTERNAL, "U0EXT000": AuthorKind.CUSTOMER,
                     "U0EXT001": AuthorKind.CUSTOMER, "U0EXT002": AuthorKind.CUSTOMER}  # fmt: skip

    assert _click(env, ChannelLinkAction.LINK, (dm, ts), user=OWNER) == 200
    updated = wait_for(lambda: [c for c in env.api.calls_to("chat.update") if c.body.get("ts") == ts])
    row = channel_row(env, CHANNEL)
    assert row is not None and row.state == ChannelState.LINKED and row.decided_by == OWNER
    first_decided = row.decided_at
    shown = json.dumps(_decoded(updated[-1].body["blocks"]))
    assert "is linked to *Acme Corp*" in shown and f"<@{OWNER}>" in shown
    assert ChannelLinkAction.LINK.value not in shown  # the answer replaced the buttons

    env.clock.advance(minutes=5)
    assert _click(env, ChannelLinkAction.LINK, (dm, ts), user=OWNER) == 200
    said = wait_for(lambda: _said_to(env, OWNER))
    assert said == [
        f"Already decided: <#{CHANNEL}> is linked by <@{OWNER}> on " + said[0].split(" on ", 1)[1]
    ]
    assert "Nothing was changed." in said[0]
    row = channel_row(env, CHANNEL)
    assert row is not None and row.state == ChannelState.LINKED and row.decided_at == first_decided


def test_another_csm_cannot_decide_and_ops_can(env: SlackEnv) -> None:
    acme_channel(env)
    dm, ts, _ = _proposed(env)
    assert _click(env, ChannelLinkAction.LINK, (dm, ts), user=OTHER_CSM) == 200
    refused = wait_for(lambda: _said_to(env, OTHER_CSM))
    assert refused == [
        "Only the account's owner, ops or an admin can decide on this channel. Nothing was changed."
    ]
    row = channel_row(env, CHANNEL)
    assert row is not None and row.state == ChannelState.PROPOSED

    assert _click(env, ChannelLinkAction.LINK, (dm, ts), user=OPS) == 200
    wait_for(lambda: (r := channel_row(env, CHANNEL)) is not None and r.state == ChannelState.LINKED)
    row = channel_row(env, CHANNEL)
    assert row is not None and row.decided_by == OPS


def test_exclude_purges_stored_text_and_a_re_invite_stays_excluded(env: SlackEnv) -> None:
    acme_channel(env)
    dm, ts, _ = _proposed(env)
    now = env.clock.now()
    add_messages(env, CHANNEL, messages=[(now, now + timedelta(days=90), "hello")])
    assert _click(env, ChannelLinkAction.EXCLUDE, (dm, ts), user=OWNER) == 200
    wait_for(lambda: (r := channel_row(env, CHANNEL)) is not None and r.state == ChannelState.EXCLUDED)
    wait_for(lambda: messages_of(env, CHANNEL)[0].text is None)
    assert messages_of(env, CHANNEL)[0].text_purged_at == now

    posts_before = len(env.api.calls_to("chat.postMessage"))
    reads_before = len(env.api.calls_to("conversations.info"))
    assert bot_added(env, CHANNEL, event_id="Ev-rejoin") == 200
    env.app.listener_runner.listener_executor.submit(lambda: None).result(timeout=10)
    row = channel_row(env, CHANNEL)
    assert row is not None and row.state == ChannelState.EXCLUDED
    assert len(env.api.calls_to("chat.postMessage")) == posts_before  # no new card
    assert len(env.api.calls_to("conversations.info")) == reads_before  # not even read again


def test_not_this_account_leaves_it_unmatched_for_ops(env: SlackEnv) -> None:
    acme_channel(env)
    dm, ts, _ = _proposed(env)
    assert _click(env, ChannelLinkAction.NOT_THIS, (dm, ts), user=OWNER) == 200
    wait_for(lambda: (r := channel_row(env, CHANNEL)) is not None and r.state == ChannelState.UNMATCHED)
    row = channel_row(env, CHANNEL)
    assert row is not None and row.account_id is None and row.decided_by == OWNER
    told = wait_for(lambda: _dms_to(env, OPS))
    assert told == [f"The Slack Connect channel #acme-vendor is not ACC-1's, said {OWNER}. Tandem does not "
                    "listen there until ops link it to an account in App Home."]  # fmt: skip
    # A stale Link on the same card cannot link it any more.
    assert _click(env, ChannelLinkAction.LINK, (dm, ts), user=OWNER) == 200
    said = wait_for(lambda: _said_to(env, OWNER))
    assert "Only the account's owner" in said[0]  # no account now: ops decide
    row = channel_row(env, CHANNEL)
    assert row is not None and row.state == ChannelState.UNMATCHED


def test_no_domain_match_is_unmatched_shown_to_ops_who_link_it_by_name(env: SlackEnv) -> None:
    acme_channel(env, "C0GLOBEX1", emails=("a@globex.example", "b@globex.example"))
    assert bot_added(env, "C0GLOBEX1", event_id="Ev-globex") == 200
    told = wait_for(lambda: _dms_to(env, OPS))
    assert "could not tell which account" in told[0] and "<#C0GLOBEX1>" in told[0]
    row = channel_row(env, "C0GLOBEX1")
    assert row is not None and row.state == ChannelState.UNMATCHED and row.account_id is None
    assert row.match_reason == "no account has the domain of its 2 external members (@globex.example)"
    assert not _dms_to(env, OWNER)  # nobody's card

    # Ops' App Home lists it with Link to an account…
    env.api.calls.clear()
    home = _home(env, OPS)
    text = json.dumps(home)
    assert "*Slack Connect channels* (1 unmatched)" in text and "<#C0GLOBEX1>" in text
    assert ChannelLinkAction.CHOOSE_ACCOUNT.value in text

    assert home_click(env, ChannelLinkAction.CHOOSE_ACCOUNT, "C0GLOBEX1", user=OPS) == 200
    modal = wait_for(lambda: env.api.calls_to("views.open"))[0]
    assert _decoded(modal.body["view"])["private_metadata"] == "C0GLOBEX1"

    def submit(typed: str, user: str = OPS) -> Any:
        values = _typed(typed)
        return env.slack.view_submission(ChannelLinkModal.CALLBACK, private_metadata="C0GLOBEX1", values=values, user_id=user)  # fmt: skip

    unknown = submit("Globex Inc")
    assert unknown.status == 200
    errors = unknown.json()["errors"]
    assert errors[ChannelLinkModal.ACCOUNT_BLOCK].startswith("No account is called “Globex Inc”.")
    assert channel_row(env, "C0GLOBEX1").state == ChannelState.UNMATCHED  # type: ignore[union-attr]

    assert submit("acme corp").status == 200  # the exact name, any case
    wait_for(lambda: (r := channel_row(env, "C0GLOBEX1")) is not None and r.state == ChannelState.LINKED)
    row = channel_row(env, "C0GLOBEX1")
    assert row is not None and row.account_id == "ACC-1" and row.decided_by == OPS


def test_a_csm_cannot_link_through_the_modal(env: SlackEnv) -> None:
    acme_channel(env, "C0GLOBEX1", emails=("a@globex.example",))
    assert bot_added(env, "C0GLOBEX1", event_id="Ev-globex") == 200
    wait_for(lambda: channel_row(env, "C0GLOBEX1"))
    assert home_click(env, ChannelLinkAction.CHOOSE_ACCOUNT, "C0GLOBEX1", user=OWNER) == 200
    told = wait_for(lambda: _dms_to(env, OWNER))
    assert told == ["Only ops and admins can link a channel to an account they choose. Nothing was changed."]
    assert not env.api.calls_to("views.open")
    values = _typed("ACC-1")
    env.slack.view_submission(ChannelLinkModal.CALLBACK, private_metadata="C0GLOBEX1", values=values, user_id=OWNER)  # fmt: skip
    wait_for(lambda: len(_dms_to(env, OWNER)) == 2)
    assert channel_row(env, "C0GLOBEX1").state == ChannelState.UNMATCHED  # type: ignore[union-attr]


def test_a_domain_shared_by_two_accounts_is_unmatched(env: SlackEnv) -> None:
    with transaction(env.db.session_factory) as session:
        factories.add_account(session, "ACC-2", "Acme Europe").domain = "acme.com"
    acme_channel(env)
    assert bot_added(env, CHANNEL, event_id="Ev-two") == 200
    wait_for(lambda: _dms_to(env, OPS))
    row = channel_row(env, CHANNEL)
    assert row is not None and row.state == ChannelState.UNMATCHED
    assert row.match_reason == (
        "2 of 3 external members with an email have @acme.com, the domain of several accounts (ACC-1, ACC-2)"
    )


def test_a_channel_that_is_not_slack_connect_is_ignored(env: SlackEnv) -> None:
    env.api.add_user("U0CSM001", "ana@vendor.example")
    env.api.add_channel("C0INTERNAL", "team-chat", members=[BOT, "U0CSM001"])
    assert bot_added(env, "C0INTERNAL", event_id="Ev-internal") == 200
    wait_for(lambda: env.api.calls_to("conversations.info"))
    env.app.listener_runner.listener_executor.submit(lambda: None).result(timeout=10)
    assert channel_row(env, "C0INTERNAL") is None
    assert not env.api.calls_to("conversations.members") and not env.api.calls_to("chat.postMessage")


def test_someone_else_joining_reads_nothing(env: SlackEnv) -> None:
    acme_channel(env)
    assert bot_added(env, CHANNEL, event_id="Ev-someone", user="U0EXT000") == 200
    env.app.listener_runner.listener_executor.submit(lambda: None).result(timeout=10)
    assert not env.api.calls_to("conversations.info") and channel_row(env, CHANNEL) is None


def test_the_channel_named_in_accounts_csv_is_linked_without_a_proposal(env: SlackEnv) -> None:
    set_account(env, shared_channel_id=CHANNEL, domain=None)
    acme_channel(env)
    assert bot_added(env, CHANNEL, event_id="Ev-csv") == 200
    wait_for(lambda: channel_row(env, CHANNEL))
    row = channel_row(env, CHANNEL)
    assert row is not None and row.state == ChannelState.LINKED and row.account_id == "ACC-1"
    assert row.decided_by == "accounts.csv" and row.external_team_ids == [CUSTOMER_TEAM]
    env.app.listener_runner.listener_executor.submit(lambda: None).result(timeout=10)
    assert not env.api.calls_to("chat.postMessage")


def test_unlink_keeps_stored_text_and_a_linked_channel_stays_linked_when_re_invited(env: SlackEnv) -> None:
    acme_channel(env)
    dm, ts, _ = _proposed(env)
    assert _click(env, ChannelLinkAction.LINK, (dm, ts), user=OWNER) == 200
    wait_for(lambda: (r := channel_row(env, CHANNEL)) is not None and r.state == ChannelState.LINKED)
    assert bot_added(env, CHANNEL, event_id="Ev-again") == 200
    env.app.listener_runner.listener_executor.submit(lambda: None).result(timeout=10)
    assert channel_row(env, CHANNEL).state == ChannelState.LINKED  # type: ignore[union-attr]

    now = env.clock.now()
    add_messages(env, CHANNEL, messages=[(now, now + timedelta(days=90), "keep me")])
    assert _click(env, ChannelLinkAction.UNLINK, (dm, ts), user=OWNER) == 200
    wait_for(lambda: (r := channel_row(env, CHANNEL)) is not None and r.state == ChannelState.UNLINKED)
    updated = wait_for(
        lambda: [c for c in env.api.calls_to("chat.update") if "unlinked" in json.dumps(c.body)]
    )
    assert "was unlinked from *Acme Corp*" in json.dumps(_decoded(updated[-1].body["blocks"]))
    assert [m.text for m in messages_of(env, CHANNEL)] == ["keep me"]  # kept until its retention date


def _typed(text: str) -> dict[str, dict[str, Any]]:
    """The modal's state: what was typed into the account field."""
    field = {str(ChannelLinkModal.ACCOUNT_INPUT): {"type": "plain_text_input", "value": text}}
    return {str(ChannelLinkModal.ACCOUNT_BLOCK): field}


def _home(env: SlackEnv, user: str) -> dict[str, Any]:
    from bot.workflows.home import home_view_for

    return home_view_for(env.deps, slack_id=user)


def test_ops_decide_from_app_home_and_the_owners_card_shows_it(env: SlackEnv) -> None:
    acme_channel(env)
    _, ts, _ = _proposed(env)
    shown = json.dumps(_home(env, OPS))
    assert "*Slack Connect channels* (1 proposed)" in shown and ChannelLinkAction.NOT_THIS.value in shown
    assert home_click(env, ChannelLinkAction.LINK, f"{CHANNEL}|ACC-1", user=OPS) == 200
    updated = wait_for(lambda: [c for c in env.api.calls_to("chat.update") if c.body.get("ts") == ts])
    assert f"is linked to *Acme Corp* (ACC-1) by <@{OPS}>" in json.dumps(_decoded(updated[-1].body["blocks"]))
    told = wait_for(lambda: _dms_to(env, OPS))
    assert told == [f"Done: <#{CHANNEL}> is now linked."]
    assert wait_for(lambda: env.api.calls_to("views.publish"))  # ops' Home again, as it now is


def test_a_channel_that_becomes_shared_is_matched_then(env: SlackEnv) -> None:
    env.api.add_user("U0CSM001", "ana@vendor.example")
    env.api.add_channel("C0LATER01", "acme-later", members=[BOT, "U0CSM001"])
    assert bot_added(env, "C0LATER01", event_id="Ev-later-join") == 200
    wait_for(lambda: env.api.calls_to("conversations.info"))
    env.app.listener_runner.listener_executor.submit(lambda: None).result(timeout=10)
    assert channel_row(env, "C0LATER01") is None  # not (yet) Slack Connect
    acme_channel(env, "C0LATER01")
    event = {"type": "channel_shared", "connected_team_id": CUSTOMER_TEAM, "channel": "C0LATER01",
             "event_ts": "1772442100.000100"}  # fmt: skip
    assert send_event(env, event, event_id="Ev-later-shared") == 200
    wait_for(lambda: (r := channel_row(env, "C0LATER01")) is not None and r.state == ChannelState.PROPOSED)


def test_a_join_event_without_its_channel_is_refused(env: SlackEnv) -> None:
    event = {"type": "member_joined_channel", "user": BOT, "event_ts": "1772442000.000100"}
    assert send_event(env, event, event_id="Ev-broken") == 400
    assert not env.api.calls_to("conversations.info")
