"""Message events from Slack Connect channels, shaped like the fixtures (event_message_channel.json,
event_message_bot.json): the workspace is OWN_TEAM (the envelope's team_id and authorizations), a
customer writes from CUSTOMER_TEAM. Also the channels a test links, unlinks or excludes."""

from __future__ import annotations

import itertools
import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from storage.db import transaction
from storage.models import ConversationChannel
from tests.support.slack_stand_in import AUTH_TEST

OWN_TEAM = str(AUTH_TEST["team_id"])  # the workspace the stand-in's auth.test answers for
CUSTOMER_TEAM = "T0CUSTOMR"
CUSTOMER, INTERNAL = "U0CUST001", "U0CSM001"
_event_ids = itertools.count(1)


def add_channel(
    factory: sessionmaker[Session],
    channel_id: str,
    *,
    state: str = "linked",
    account_id: str | None = "ACC-1",
    now: datetime,
    retention_days: int | None = None,
) -> None:
    with transaction(factory) as session:
        session.add(
            ConversationChannel(
                channel_id=channel_id, name=f"ext-{channel_id.lower()}", is_private=False,
                external_team_ids=[CUSTOMER_TEAM], account_id=account_id, state=state,
                retention_days=retention_days, created_at=now, updated_at=now,
            )
        )  # fmt: skip


def envelope(event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    """An event_callback as Slack sends it to the workspace T111."""
    return {
        "token": "verification_token", "team_id": OWN_TEAM, "context_team_id": OWN_TEAM,
        "api_app_id": "A111", "event": event, "type": "event_callback",
        "event_id": event_id or f"Ev{next(_event_ids):08d}", "event_time": 1772440000,
        "authorizations": [{"team_id": OWN_TEAM, "user_id": "UB0T", "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": True,
    }  # fmt: skip


def message(
    channel: str, ts: str, text: str, *, user: str = CUSTOMER, team: str = CUSTOMER_TEAM, **extra: Any
) -> dict[str, Any]:
    event = {
        "type": "message", "text": text, "user": user, "ts": ts, "team": team, "user_team": team,
        "source_team": team, "channel": channel, "event_ts": ts, "channel_type": "channel",
    }  # fmt: skip
    return event | extra


def edited(channel: str, ts: str, text: str, *, edited_ts: str, user: str = CUSTOMER) -> dict[str, Any]:
    return {
        "type": "message", "subtype": "message_changed", "channel": channel, "channel_type": "channel",
        "hidden": True, "ts": edited_ts, "event_ts": edited_ts,
        "message": {"type": "message", "user": user, "team": CUSTOMER_TEAM, "text": text, "ts": ts,
                    "edited": {"user": user, "ts": edited_ts}},
        "previous_message": {"type": "message", "user": user, "text": "(before)", "ts": ts},
    }  # fmt: skip


def deleted(channel: str, ts: str, *, at_ts: str) -> dict[str, Any]:
    return {
        "type": "message", "subtype": "message_deleted", "channel": channel, "channel_type": "channel",
        "hidden": True, "deleted_ts": ts, "ts": at_ts, "event_ts": at_ts,
        "previous_message": {"type": "message", "user": CUSTOMER, "text": "(before)", "ts": ts},
    }  # fmt: skip


def bot_message(channel: str, ts: str, text: str) -> dict[str, Any]:
    return {
        "type": "message", "subtype": "bot_message", "bot_id": "B999", "text": text, "ts": ts,
        "channel": channel, "event_ts": ts, "channel_type": "channel",
        "bot_profile": {"id": "B999", "name": "other-app", "app_id": "A222", "team_id": OWN_TEAM},
    }  # fmt: skip


def as_json(body: dict[str, Any]) -> str:
    return json.dumps(body)
