"""Does a Slack credential have the shape Slack issues it in? (`TANDEM_ENV=production` checks.)

- bot token: `xoxb-<workspace digits>-<bot user digits>-<24 letters and digits>`;
- app-level token (Socket Mode): `xapp-<n>-<app id A…>-<digits>-<hex>`;
- signing secret: 32 lowercase hexadecimal characters.

A value of the right shape can still be a placeholder someone typed: all zeros, `deadbeef`
four times, `0123456789abcdef` twice, `abcdefgh…`. Those are refused too, because a signing
secret anyone can guess lets anyone sign requests. Slack's values are random, so the test for
"made up" is cheap and almost never wrong: too few distinct characters for the length, or a
run of eight characters counting up or down (about one real secret in ten million has one; a
refusal costs a regenerated secret, an accepted placeholder costs forged requests).
"""

from __future__ import annotations

import re
from itertools import pairwise

BOT_TOKEN = re.compile(r"xoxb-(\d{6,16})-(\d{6,16})-([A-Za-z0-9]{20,40})")
APP_TOKEN = re.compile(r"xapp-\d{1,2}-(A[A-Z0-9]{6,14})-(\d{6,16})-([a-f0-9]{32,128})")
SIGNING_SECRET = re.compile(r"[0-9a-f]{32}")
RUN = 8  # characters counting up or down by one, in a row, that no random value is expected to hold


def bot_token_problem(value: str) -> str | None:
    match = BOT_TOKEN.fullmatch(value)
    if match is None:
        return "is not a bot token (xoxb-<digits>-<digits>-<24 letters and digits>, from OAuth & Permissions)"
    return _made_up(match.groups())


def app_token_problem(value: str) -> str | None:
    match = APP_TOKEN.fullmatch(value)
    if match is None:
        return (
            "is not an app-level token (xapp-1-A…-<digits>-<hex>, from Basic Information → App-Level Tokens)"
        )
    return _made_up(match.groups())


def signing_secret_problem(value: str) -> str | None:
    if SIGNING_SECRET.fullmatch(value) is None:
        return (
            "is not a signing secret (32 lowercase hex characters, from Basic Information → App Credentials)"
        )
    return _made_up((value,))


def _made_up(parts: tuple[str, ...]) -> str | None:
    for part in parts:
        if len(set(part)) < max(3, len(part) // 4) or _has_run(part):
            return "has the right shape but looks made up (repeated or sequential characters); paste the real one"
    return None


def _has_run(text: str) -> bool:
    up = down = 1
    for previous, current in pairwise(text):
        step = ord(current) - ord(previous)
        up = up + 1 if step == 1 else 1
        down = down + 1 if step == -1 else 1
        if up >= RUN or down >= RUN:
            return True
    return False
