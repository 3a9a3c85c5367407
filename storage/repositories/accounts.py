"""Accounts: lookup by id or name (with the closest matches), and the human-handling switches.

`find_accounts` answers "/brief acme": an exact id or case-insensitive name is the answer;
anything else returns the closest names, best first, and no exact match, so the caller asks
which one was meant instead of guessing. Given `owners`, prefixes and close matches come only
from those owners' accounts: nobody is offered a name they may not see.
"""

from __future__ import annotations

import difflib
import heapq
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, Row, func, or_, select, true, update
from sqlalchemy.orm import Session

from storage.models import Account

IN_CHUNK = 900  # SQLite's bound-parameter limit, with room to spare

MIN_CLOSENESS = 0.6  # difflib's own default cutoff for close matches
# Longer than any account id (64) or name (200): nothing can match, so nothing is searched
# (SQLite refuses LIKE patterns over 50,000 bytes; difflib is quadratic in the text's length).
MAX_QUERY_CHARS = 200


@dataclass(frozen=True)
class AccountMatch:
    exact: Account | None
    candidates: list[Account] = field(default_factory=list)


def get_account(session: Session, *, account_id: str) -> Account | None:
    return session.get(Account, account_id)


def owners_and_renewals(session: Session) -> dict[str, tuple[str, date | None]]:
    """account_id -> (owner's Slack id, renewal date) for every account, in one query."""
    query = select(Account.account_id, Account.owner_slack_id, Account.renewal_date)
    return {account_id: (owner, renewal) for account_id, owner, renewal in session.execute(query)}


def account_labels(session: Session) -> dict[str, tuple[str, str]]:
    """account_id -> (name, segment) for every account, in one query."""
    return {
        account_id: (name, segment)
        for account_id, name, segment in session.execute(
            select(Account.account_id, Account.name, Account.segment)
        )
    }


def owns_any(session: Session, *, owner_slack_id: str) -> bool:
    """Does this person own at least one account?"""
    found = session.scalar(
        select(Account.account_id).where(Account.owner_slack_id == owner_slack_id).limit(1)
    )
    return found is not None


def contact_emails(session: Session, *, account_ids: Sequence[str]) -> dict[str, str]:
    """account_id -> contact email, for those of `account_ids` that have one."""
    found: dict[str, str] = {}
    for start in range(0, len(account_ids), IN_CHUNK):
        chunk = list(account_ids[start : start + IN_CHUNK])
        query = select(Account.account_id, Account.contact_email).where(Account.account_id.in_(chunk))
        found.update({account_id: email for account_id, email in session.execute(query) if email})
    return found


def find_accounts(
    session: Session, *, query: str, owners: Collection[str] | None = None, limit: int = 5
) -> AccountMatch:
    """An exact id or (case-insensitive) name, else up to `limit` closest accounts, best first.

    Two accounts sharing a name are both candidates, never an exact match. An exact id or name
    is looked up in the whole book (the caller decides whether the requester may see it); a
    unique prefix and the closest matches only among the accounts of `owners` (None: all).
    """
    wanted = " ".join(query.split())
    if not wanted or len(wanted) > MAX_QUERY_CHARS or "\x00" in wanted:
        return AccountMatch(None, [])  # PostgreSQL cannot even compare text holding a NUL
    by_id = session.get(Account, wanted)
    if by_id is not None:
        return AccountMatch(by_id)
    needle = wanted.lower()
    same = list(
        session.scalars(
            select(Account)
            .where(or_(func.lower(Account.account_id) == needle, func.lower(Account.name) == needle))
            .order_by(Account.account_id)
            .limit(2)
        )
    )
    if len(same) == 1:
        return AccountMatch(same[0])
    if owners is not None and not owners:
        return AccountMatch(None, [])
    unique = _unique_name_prefix(session, needle, owners)
    if unique is not None:
        return AccountMatch(unique)
    ranked = _rank(
        needle, session.execute(select(Account.account_id, Account.name).where(_owned_by(owners))), limit
    )
    if not ranked:
        return AccountMatch(None, [])
    loaded = {a.account_id: a for a in session.scalars(select(Account).where(Account.account_id.in_(ranked)))}
    return AccountMatch(None, [loaded[account_id] for account_id in ranked if account_id in loaded])


def _owned_by(owners: Collection[str] | None) -> ColumnElement[bool]:
    """The accounts of `owners`; every account when None."""
    return true() if owners is None else Account.owner_slack_id.in_(sorted(owners))


def _unique_name_prefix(session: Session, needle: str, owners: Collection[str] | None) -> Account | None:
    """The one account whose name starts with what was typed, when no other name contains it.

    `/brief acme` with a single Acme among the requester's accounts is that account, not a
    question back. LIKE's own wildcards (`%`, `_`) and its escape are literal text here."""
    pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    containing = list(
        session.scalars(
            select(Account)
            .where(_owned_by(owners), func.lower(Account.name).like(pattern, escape="\\"))
            .limit(2)
        )
    )
    if len(containing) == 1 and containing[0].name.lower().startswith(needle):
        return containing[0]
    return None


def _rank(needle: str, rows: Iterable[Row[str, str]], limit: int) -> list[str]:
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(needle)  # difflib caches what it learns about seq2: reuse it for every name
    scored: list[tuple[float, str, str]] = []
    for account_id, name in rows:
        lowered = name.lower()
        score = _closeness(matcher, needle, lowered, account_id.lower())
        if score >= MIN_CLOSENESS:
            scored.append((-score, lowered, account_id))
    return [account_id for _, _, account_id in heapq.nsmallest(limit, scored)]


def _closeness(matcher: difflib.SequenceMatcher[str], needle: str, name: str, account_id: str) -> float:
    """1.0 for a perfect fit, lower as the name drifts; below MIN_CLOSENESS means unrelated.

    Prefix and substring hits rank above typos; among them, names closer in length to what
    was typed come first ("acme" ranks "Acme" over "Acme Corporation International").
    """
    if name.startswith(needle):
        return 0.9 + 0.1 * len(needle) / max(len(name), 1)
    words = name.split()
    if account_id.startswith(needle) or any(word.startswith(needle) for word in words):
        return 0.85
    if needle in name:
        return 0.8
    best = _ratio(matcher, name)
    if len(words) > 1:  # a typo in one word of a longer name: "acem" for "Acme Corp"
        for word in words:
            best = max(best, 0.95 * _ratio(matcher, word))
    return best


def _ratio(matcher: difflib.SequenceMatcher[str], text: str) -> float:
    matcher.set_seq1(text)
    if matcher.real_quick_ratio() < MIN_CLOSENESS or matcher.quick_ratio() < MIN_CLOSENESS:
        return 0.0  # cheap upper bounds: the full ratio cannot reach the cutoff either
    return matcher.ratio()


def set_human_handled(session: Session, *, account_id: str, by: str, now: datetime) -> None:
    """Take over: a person now handles the account and automation pauses on it (a new hold:
    its hand-back period starts now, with no reminder sent yet)."""
    _update_one(session, account_id, human_handled_by=by, human_handled_since=now, hand_back_reminded_at=None)


def clear_human_handled(session: Session, *, account_id: str) -> None:
    """A take-over's pause ends: automation handles the account again."""
    _update_one(
        session, account_id, human_handled_by=None, human_handled_since=None, hand_back_reminded_at=None
    )


def hand_back(session: Session, *, account_id: str, holder: str) -> bool:
    """End `holder`'s hold on the account (guarded: True for the one call that ended it)."""
    return _guarded(
        session,
        account_id,
        holder,
        human_handled_by=None,
        human_handled_since=None,
        hand_back_reminded_at=None,
    )


def mark_hand_back_reminded(session: Session, *, account_id: str, holder: str, now: datetime) -> bool:
    """Record that `holder` was reminded the account goes back soon; True once per hold."""
    a = Account
    result = session.execute(
        update(a)
        .where(a.account_id == account_id, a.human_handled_by == holder, a.hand_back_reminded_at.is_(None))
        .values(hand_back_reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def restart_hold(session: Session, *, account_id: str, holder: str, now: datetime) -> bool:
    """Keep it: `holder`'s hold starts its hand-back period again, unreminded (guarded)."""
    return _guarded(session, account_id, holder, human_handled_since=now, hand_back_reminded_at=None)


def held_since_before(session: Session, *, before: datetime) -> list[Account]:
    """Accounts a person has held since before `before`, longest held first."""
    a = Account
    return list(
        session.scalars(
            select(a)
            .where(a.human_handled_by.is_not(None), a.human_handled_since <= before)
            .order_by(a.human_handled_since, a.account_id)
        )
    )


def _guarded(session: Session, account_id: str, holder: str, **values: object) -> bool:
    a = Account
    result = session.execute(
        update(a)
        .where(a.account_id == account_id, a.human_handled_by == holder)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def set_always_human(session: Session, *, account_id: str, on: bool, by: str) -> None:
    """The CSM's veto; it sticks until lifted with on=False (who may lift it is the caller's call)."""
    _update_one(session, account_id, always_human=on, always_human_by=by if on else None)


def set_automation_paused(
    session: Session, *, account_id: str, until: datetime | None, by: str | None
) -> None:
    """Automation paused on the account until `until` (None: not paused); it resumes by itself after."""
    _update_one(session, account_id, automation_paused_until=until, automation_paused_by=by)


def _update_one(session: Session, account_id: str, **values: object) -> None:
    result = session.execute(update(Account).where(Account.account_id == account_id).values(**values))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise LookupError(f"no account {account_id!r}")


def list_accounts_for_owner(session: Session, *, owner_slack_id: str) -> list[Account]:
    return list(
        session.scalars(
            select(Account)
            .where(Account.owner_slack_id == owner_slack_id)
            .order_by(Account.name, Account.account_id)
        )
    )
