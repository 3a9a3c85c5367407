"""Pause automation on an account for N days (asked in words, behind Confirm): a person handles
every touchpoint until then, as under a veto, and automation resumes by itself afterwards.

Setting it cancels the account's automated touches still in their hold window; routing reads
the pause from the account's facts (`AccountFacts.automation_paused`, true through the day the
pause ends), so a cycle meanwhile queues nothing automated for it. Logged in the override log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.deps import Deps
from bot.workflows.auto_touches import cancel_queued_touches
from bot.workflows.refused import Refused
from storage.db import transaction
from storage.models import Account
from storage.repositories import accounts, overrides, users

MAX_DAYS = 90
PAUSED = "paused"  # the override log's action (not a decision on a card: learning ignores it)


@dataclass(frozen=True)
class Paused:
    account_name: str
    until: datetime
    cancelled: int  # automated touches stopped in their hold window


def pause_automation(
    deps: Deps, *, account_id: str, actor: str, days: int, note: str = ""
) -> Paused | Refused:
    if not 1 <= days <= MAX_DAYS:
        return Refused(f"Pause for 1 to {MAX_DAYS} days. Nothing was changed.")
    now = deps.clock.now()
    until = now + timedelta(days=days)
    with transaction(deps.session_factory) as session:
        account = session.get(Account, account_id)
        if account is None:
            return Refused(f"Unknown account {account_id}. Nothing was changed.")
        if not users.may_act_on(session, account=account, actor=actor):
            return Refused(
                "Only the account's CSM, their manager, or ops can pause its automation. Nothing was changed."
            )
        accounts.set_automation_paused(session, account_id=account_id, until=until, by=actor)
        cancelled = cancel_queued_touches(
            session, account_id=account_id, actor=actor, now=now, reason="automation paused"
        )
        overrides.record_account_action(
            session, account_id=account_id, action=PAUSED, actor=actor, now=now,
            reason=(f"{days} days, until {until:%Y-%m-%d %H:%M} UTC" + (f"; {note}" if note else "")),
        )  # fmt: skip
        return Paused(account.name, until, cancelled)
