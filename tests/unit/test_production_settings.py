"""TANDEM_ENV=production starts only with Slack credentials shaped the way Slack issues them, and
the refusal names the setting without ever echoing the secret."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.settings import Settings

SECRET = "8f3a2c71d09b4e65a1f7c3d28e90b4f6"
BOT = "xoxb-7364019285530-7390418826571-Zq8dK2vN5xR1mT7bW4cY9hLp"
APP = "xapp-1-A04QK8DHUL9-7364019285530-" + "9c1e7a3f5b2d8e4a6c0f1b3d5e7a9c2e4f6b8d0a1c3e5f7b9d2a4c6e8f0b1d3e"


def _settings(**env: str | None) -> Settings:
    values = {"TANDEM_ENV": "production", "SLACK_BOT_TOKEN": BOT, "SLACK_SIGNING_SECRET": SECRET, **env}
    return Settings(_env_file=None, **{k: v for k, v in values.items() if v is not None})  # type: ignore[call-arg, arg-type]


def test_real_looking_credentials_start_in_production() -> None:
    settings = _settings(SLACK_APP_TOKEN=APP)
    assert settings.slack_bot_token is not None and settings.slack_bot_token.get_secret_value() == BOT


REFUSED = [
    # signing secrets: Slack's are 32 lowercase hex characters, random
    ("SLACK_SIGNING_SECRET", "x"),
    ("SLACK_SIGNING_SECRET", "test"),
    ("SLACK_SIGNING_SECRET", "placeholder"),
    ("SLACK_SIGNING_SECRET", "changeme"),
    ("SLACK_SIGNING_SECRET", "   "),
    ("SLACK_SIGNING_SECRET", "test-signing-secret-0123456789abcdef"),
    ("SLACK_SIGNING_SECRET", "8f742231b10e8888abcd99yyyzzz85a5"),  # Slack's documentation example
    ("SLACK_SIGNING_SECRET", SECRET.upper()),
    ("SLACK_SIGNING_SECRET", SECRET[:-1]),
    ("SLACK_SIGNING_SECRET", SECRET + "0"),
    ("SLACK_SIGNING_SECRET", "0" * 32),
    ("SLACK_SIGNING_SECRET", "0123456789abcdef" * 2),
    ("SLACK_SIGNING_SECRET", "deadbeef" * 4),
    # bot tokens: xoxb-<digits>-<digits>-<24 letters and digits>
    ("SLACK_BOT_TOKEN", "dummy"),
    ("SLACK_BOT_TOKEN", "xoxb-x"),
    ("SLACK_BOT_TOKEN", "xoxb-your-token-here"),
    ("SLACK_BOT_TOKEN", "xoxb-test-token"),
    ("SLACK_BOT_TOKEN", "xoxb-123-456-abc"),
    ("SLACK_BOT_TOKEN", BOT.replace("xoxb-", "xoxp-")),  # a user token, not the bot's
    ("SLACK_BOT_TOKEN", "xoxb-000000000000-000000000000-000000000000000000000000"),
    ("SLACK_BOT_TOKEN", "xoxb-1234567890-1234567890-abcdefghijklmnopqrstuvwx"),
    ("SLACK_BOT_TOKEN", "xoxb-7364019285530-7390418826571-xxxxxxxxxxxxxxxxxxxxxxxx"),
    ("SLACK_BOT_TOKEN", APP),
    # app tokens (Socket Mode): xapp-<n>-<app id>-<digits>-<hex>
    ("SLACK_APP_TOKEN", "xapp-your-token"),
    ("SLACK_APP_TOKEN", "xapp-1-A111-111-xxx"),
    ("SLACK_APP_TOKEN", BOT),
    ("SLACK_APP_TOKEN", "xapp-1-A04QK8DHUL9-7364019285530-" + "0" * 64),
]


@pytest.mark.parametrize(("name", "value"), REFUSED)
def test_a_placeholder_or_misshapen_credential_is_refused_by_name_without_echoing_it(
    name: str, value: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        _settings(**{name: value})
    message = str(refused.value)
    assert name in message
    if len(value.strip()) >= 8:  # shorter ones ("x", "test") are words the message may well contain
        assert value not in message and value[:12] not in message


@pytest.mark.parametrize("name", ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"])
def test_a_missing_credential_is_refused_in_production(name: str) -> None:
    with pytest.raises(ValidationError, match=name):
        _settings(**{name: None})


def test_development_takes_whatever_it_is_given() -> None:
    settings = Settings(_env_file=None, TANDEM_ENV="development", SLACK_BOT_TOKEN="xoxb-x")  # type: ignore[call-arg, arg-type]
    assert settings.slack_bot_token is not None
