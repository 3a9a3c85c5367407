"""Accounts: lookup by id or name (with closest matches), and the human-handling switches."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.models import Account


@dataclass(frozen=True)
class AccountMatch:
    exact: Account | None
    candidates: list[Account] = field(default_factory=list)


def get_account(session: Session, *, account_id: str) -> Account | None:
    return session.get(Account, account_id)


def find_accounts(session: Session, *, query: str, limit: int = 5) -> AccountMatch:
    """An exact id or (case-insensitive) name, else the closest names, best first."""
    wanted = query.strip()
    if not wanted:
        return AccountMatch(None, [])
    by_id = session.get(Account, wanted)
    if by_id is not None:
        return AccountMatch(by_id)
    by_name = list(
        session.scalars(select(Account).where(func.lower(Account.name) == wanted.lower()).limit(2))
    )
    if len(by_name) == 1:
        return AccountMatch(by_name[0])
    needle = wanted.lower()
    rows = session.execute(select(Account.account_id, Account.name)).all()
    ranked = sorted(
        ((_closeness(needle, name.lower(), account_id.lower()), account_id) for account_id, name in rows),
        reverse=True,
    )
    best = [account_id for score, account_id in ranked[:limit] if score >= 0.45]
    candidates = [session.get(Account, account_id) for account_id in best]
    return AccountMatch(None, [c for c in candidates if c is not None])


def _closeness(needle: str, name: str, account_id: str) -> float:
    if name.startswith(needle) or account_id.startswith(needle):
        return 1.0
    if needle in name:
        return 0.9
    words = name.split()
    word_ratio = max((difflib.SequenceMatcher(None, needle, word).ratio() for word in words), default=0.0)
    return max(difflib.SequenceMatcher(None, needle, name).ratio(), word_ratio * 0.95)


def set_human_handled(session: Session, *, account_id: str, by: str, now: datetime) -> None:
    session.execute(
        update(Account)
        .where(Account.account_id == account_id)
        .values(human_handled_by=by, human_handled_since=now)
    )


def set_always_human(session: Session, *, account_id: str, on: bool, by: str) -> None:
    session.execute(
        update(Account)
        .where(Account.account_id == account_id)
        .values(always_human=on, always_human_by=by if on else None)
    )


def list_accounts_for_owner(session: Session, *, owner_slack_id: str) -> list[Account]:
    return list(
        session.scalars(
            select(Account).where(Account.owner_slack_id == owner_slack_id).order_by(Account.name)
        )
    )
