"""The people in a synthetic book: two managers, one ops user, one admin, and about one CSM
per 40 accounts (at least three), each CSM reporting to a manager, spread over time zones."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from typing import Any

from storage import models
from storage.enums import Role
from storage.synthetic import vocabulary as words
from storage.synthetic.rows import BookRows

ACCOUNTS_PER_CSM = 40
MIN_CSMS = 3
MANAGER_IDS = ("U0MGR001", "U0MGR002")
OPS_ID = "U0OPS001"
ADMIN_ID = "U0ADM001"
DIGEST_TIME = "08:30"


def csm_count(accounts: int) -> int:
    return max(MIN_CSMS, math.ceil(accounts / ACCOUNTS_PER_CSM))


def add_people(rng: random.Random, rows: BookRows, *, accounts: int) -> list[str]:
    """Adds every user; returns the CSMs' Slack ids (the account owners), in order."""
    names = _unique_names(rng)
    for index, slack_id in enumerate(MANAGER_IDS):
        rows.add(models.User, _user(slack_id, next(names), Role.MANAGER, None, words.TIMEZONES[index]))
    rows.add(models.User, _user(OPS_ID, next(names), Role.OPS, None, "Europe/London"))
    rows.add(models.User, _user(ADMIN_ID, next(names), Role.ADMIN, None, "Europe/London"))
    csms = []
    for index in range(csm_count(accounts)):
        slack_id = f"U0CSM{index + 1:03d}"
        manager = MANAGER_IDS[index % len(MANAGER_IDS)]
        timezone = words.TIMEZONES[index % len(words.TIMEZONES)]
        rows.add(models.User, _user(slack_id, next(names), Role.CSM, manager, timezone))
        csms.append(slack_id)
    return csms


def _unique_names(rng: random.Random) -> Iterator[str]:
    seen: set[str] = set()
    while True:
        for _ in range(50):
            name = f"{rng.choice(words.FIRST_NAMES)} {rng.choice(words.LAST_NAMES)}"
            if name not in seen:
                break
        else:
            name = f"{name} {len(seen) + 1}"  # more people than name pairs: still unique
        seen.add(name)
        yield name


def _user(slack_id: str, name: str, role: Role, manager: str | None, timezone: str) -> dict[str, Any]:
    local_part = name.lower().replace(" ", ".").replace("'", "").encode("ascii", "ignore").decode()
    return {
        "slack_id": slack_id,
        "name": name,
        "role": role.value,
        "email": f"{local_part}@tandem-team.example",
        "manager_slack_id": manager,
        "timezone": timezone,
        "digest_time": DIGEST_TIME,
    }
