"""Signed requests shaped like Slack's (see ../shared/slack-fixtures), sent over real HTTP.

Interactivity goes as one form field `payload=<json>`, slash commands as flat form fields;
every request carries X-Slack-Request-Timestamp and the v0 HMAC-SHA256 X-Slack-Signature.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from bot.ids import CardBlock


def sign(secret: str, timestamp: str, body: str) -> str:
    """Slack's v0 signature: hex HMAC-SHA256 of "v0:{timestamp}:{raw body}" with the secret."""
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return f"v0={digest}"


@dataclass
class Reply:
    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class SlackSender:
    url: str  # e.g. http://127.0.0.1:PORT/slack/events
    secret: str
    team_id: str = "T111"

    def post(
        self,
        body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        request = urllib.request.Request(
            self.url,
            data=body.encode(),
            method="POST",
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": signature or sign(self.secret, ts, body),
                **(headers or {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return Reply(response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read().decode())

    def slash_command(
        self, text: str, *, user_id: str, response_url: str, command: str = "/brief", **kw: Any
    ) -> Reply:
        form = {
            "token": "verification-token-unused",
            "team_id": self.team_id,
            "team_domain": "tandem-test",
            "channel_id": "C111",
            "channel_name": "general",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "response_url": response_url,
            "trigger_id": "111.222.valid",
            "api_app_id": "A111",
        }
        return self.post(urlencode(form), **kw)

    def block_action(
        self,
        action_id: str,
        value: str,
        *,
        user_id: str,
        channel_id: str,
        message_ts: str,
        response_url: str,
        block_id: str = CardBlock.ACTIONS,
        message_blocks: list[dict[str, Any]] | None = None,
        overflow: bool = False,
        **kw: Any,
    ) -> Reply:
        """A button click on a bot message, shaped like block_actions_button_on_message.json;
        with `overflow`, the choice of the overflow menu option whose value is `value`."""
        body = self.block_action_body(
            action_id, value, user_id=user_id, channel_id=channel_id, message_ts=message_ts,
            response_url=response_url, block_id=block_id, message_blocks=message_blocks, overflow=overflow,
        )  # fmt: skip
        return self.post(body, **kw)

    def block_action_body(
        self,
        action_id: str,
        value: str,
        *,
        user_id: str,
        channel_id: str,
        message_ts: str,
        response_url: str,
        block_id: str = CardBlock.ACTIONS,
        message_blocks: list[dict[str, Any]] | None = None,
        overflow: bool = False,
    ) -> str:
        """The form body of `block_action`: what Slack sends again, byte for byte, on a retry."""
        payload = {
            "type": "block_actions",
            "user": {
                "id": user_id,
                "username": user_id.lower(),
                "name": user_id.lower(),
                "team_id": self.team_id,
            },
            "api_app_id": "A111",
            "token": "verification-token-unused",
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel_id,
                "is_ephemeral": False,
            },
            "trigger_id": "111.222.valid",
            "team": {"id": self.team_id, "domain": "tandem-test"},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel_id, "name": "directmessage"},
            "message": {
                "bot_id": "BZYBOTHED",
                "type": "message",
                "text": "card",
                "user": "W23456789",
                "ts": message_ts,
                "app_id": "A111",
                "blocks": message_blocks or [],
                "team": self.team_id,
            },
            "state": {"values": {}},
            "response_url": response_url,
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": block_id,
                    "text": {"type": "plain_text", "text": "button"},
                    "value": value,
                    "type": "button",
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        if overflow:
            payload["actions"] = [
                {
                    "action_id": action_id,
                    "block_id": block_id,
                    "type": "overflow",
                    "selected_option": {"text": {"type": "plain_text", "text": "option"}, "value": value},
                    "action_ts": f"{time.time():.6f}",
                }
            ]
        return urlencode({"payload": json.dumps(payload)})

    def view_submission(
        self,
        callback_id: str,
        *,
        private_metadata: str,
        values: dict[str, dict[str, Any]],
        user_id: str,
        blocks: list[dict[str, Any]] | None = None,
        **kw: Any,
    ) -> Reply:
        """A modal submit, shaped like view_submission.json (no response_urls)."""
        payload = {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": "tandem-test"},
            "user": {
                "id": user_id,
                "username": user_id.lower(),
                "name": user_id.lower(),
                "team_id": self.team_id,
            },
            "api_app_id": "A111",
            "token": "verification-token-unused",
            "trigger_id": "111.222.valid",
            "view": {
                "id": "V0001",
                "team_id": self.team_id,
                "type": "modal",
                "blocks": blocks or [],
                "private_metadata": private_metadata,
                "callback_id": callback_id,
                "state": {"values": values},
                "hash": "1596530361.3wRYuk3R",
                "title": {"type": "plain_text", "text": "Edit"},
                "clear_on_close": False,
                "notify_on_close": False,
                "close": {"type": "plain_text", "text": "Cancel"},
                "submit": {"type": "plain_text", "text": "Approve edited"},
                "previous_view_id": None,
                "root_view_id": "V0001",
                "app_id": "A111",
                "external_id": "",
                "app_installed_team_id": self.team_id,
                "bot_id": "BZYBOTHED",
            },
            "response_urls": [],
            "enterprise": None,
            "is_enterprise_install": False,
        }
        return self.post(urlencode({"payload": json.dumps(payload)}), **kw)
