"""Slack Connect channels in the Slack test environment: the events Slack sends when Tandem is
added to a channel, clicks on App Home (no response_url there), and stored rows."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlencode

from sqlalchemy import select

from storage.db import transaction
from storage.enums import ChannelState
from storage.models import Account, ConversationChannel, ConversationMessage
from tests.integration.slack_env import SlackEnv
from tests.support.slack_stand_in import AUTH_TEST

BOT = str(AUTH_TEST["user_id"])  # who Bolt's auth.test says Tandem's bot user is
TEAM = "T111"  # the workspace Tandem is installed in (the events' team_id)
CUSTOMER_TEAM = "T0ACME99"


def send_event(env: SlackEnv, event: dict[str, Any], *, event_id: str) -> int:
    """An Events API delivery, signed, shaped like the fixtures' event_callback envelopes."""
    body = {
        "token": "verification_token",
        "team_id": TEAM,
        "api_app_id": "A111",
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1772442000,
        "authorizations": [{"team_id": TEAM, "user_id": BOT, "is_bot": True, "is_enterprise_install": False}],
    }
    return env.slack.post(json.dumps(body), content_type="application/json").status


def bot_added(env: SlackEnv, channel: str, *, event_id: str, user: str = BOT) -> int:
    """member_joined_channel for `user` (Tandem itself by default), as Slack sends it."""
    event = {
        "type": "member_joined_channel",
        "user": user,
        "channel": channel,
        "channel_type": "C",
        "team": TEAM,
        "inviter": "U0CSM001",
        "event_ts": "1772442000.000100",
    }
    return send_event(env, event, event_id=event_id)


def acme_channel(env: SlackEnv, channel: str = "C0ACME001", *, emails: tuple[str, ...] = ()) -> None:
    """A Slack Connect channel: Tandem, the owner, and external members with these emails."""
    env.api.add_user(BOT, "", is_bot=True)
    env.api.add_user("U0CSM001", "ana@vendor.example")
    external = []
    for number, email in enumerate(emails or ("jo@acme.com", "li@acme.com", "sam@gmail.com")):
        member = f"U0EXT{number:03d}"
        env.api.add_user(member, email, team=CUSTOMER_TEAM)
        external.append(member)
    env.api.add_channel(
        channel, "acme-vendor", members=[BOT, "U0CSM001", *external], external_teams=(CUSTOMER_TEAM,)
    )


def set_account(env: SlackEnv, account_id: str = "ACC-1", **values: Any) -> None:
    with transaction(env.db.session_factory) as session:
        account = session.get(Account, account_id)
        assert account is not None
        for name, value in values.items():
            setattr(account, name, value)


def channel_row(env: SlackEnv, channel: str) -> ConversationChannel | None:
    with env.db.session_factory() as session:
        return session.get(ConversationChannel, channel)


def home_click(env: SlackEnv, action: str, value: str, *, user: str) -> int:
    """A button click in the App Home tab: a `view` container, no response_url."""
    form = env.slack.block_action_body(
        action, value, user_id=user, channel_id="D0HOME", message_ts="1.1", response_url=""
    )
    payload = json.loads(parse_qs(form)["payload"][0])
    for key in ("response_url", "message", "channel"):
        payload.pop(key)
    payload["container"] = {"type": "view", "view_id": "V0001"}
    payload["view"] = {"id": "V0001", "type": "home", "private_metadata": "", "callback_id": "",
                       "state": {"values": {}}, "hash": "h1", "blocks": []}  # fmt: skip
    return env.slack.post(urlencode({"payload": json.dumps(payload)})).status


def add_channel_with_messages(
    env: SlackEnv,
    channel: str,
    *,
    state: ChannelState = ChannelState.LINKED,
    messages: list[tuple[datetime, datetime, str]],
    account_id: str = "ACC-1",
) -> None:
    """A channel and its stored messages: (posted_at, keep_text_until, text) each, with derived
    fields set as the listener sets them."""
    now = env.clock.now()
    with transaction(env.db.session_factory) as session:
        session.add(ConversationChannel(channel_id=channel, name=channel.lower(), external_team_ids=[CUSTOMER_TEAM],
                                        account_id=account_id, state=state.value, created_at=now, updated_at=now))  # fmt: skip
    add_messages(env, channel, messages=messages, account_id=account_id)


def add_messages(
    env: SlackEnv, channel: str, *, messages: list[tuple[datetime, datetime, str]], account_id: str = "ACC-1"
) -> None:
    with transaction(env.db.session_factory) as session:
        for number, (posted, until, text) in enumerate(messages):
            session.add(
                ConversationMessage(
                    channel_id=channel,
                    ts=f"{posted.timestamp():.6f}",
                    account_id=account_id,
                    user_id=f"U0EXT{number:03d}",
                    author_kind="customer",
                    posted_at=posted,
                    text=text,
                    keep_text_until=until,
                    tone=-0.4,
                    is_question=True,
                    topics=["price"],
                    answered_at=posted,
                    received_at=posted,
                )
            )


def messages_of(env: SlackEnv, channel: str) -> list[ConversationMessage]:
    with env.db.session_factory() as session:
        return list(
            session.scalars(
                select(ConversationMessage)
                .where(ConversationMessage.channel_id == channel)
                .order_by(ConversationMessage.posted_at)
            )
        )
