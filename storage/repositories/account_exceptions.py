"""Account exceptions and their state machine: offered → active / declined; active → lapsed / lifted.

Every transition is one guarded UPDATE on the state the caller saw: a double click, a Slack
retry or two people at once change an exception once. Inserts skip a row that would collide
(`ON CONFLICT DO NOTHING`): one offer per dismissed card, one active exception per account and
trigger (a partial unique index), so a race loses quietly instead of aborting the transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Insert, Table, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from scoring.exceptions import PastDecision, PastOutcome
from scoring.types import AccountException as InForce
from scoring.types import TriggerKey
from storage.enums import CardState, DismissReason, ExceptionState
from storage.models import Account, AccountException, EscalationCard, Signal

EXCEPTIONS = cast(Table, AccountException.__table__)
APPROVALS = frozenset({CardState.APPROVED, CardState.EDITED, CardState.TAKEN_OVER})
OPEN_STATES = (ExceptionState.OFFERED.value, ExceptionState.ACTIVE.value)
IN_CHUNK = 900  # SQLite's bound-parameter limit, with room to spare


def in_force(row: AccountException) -> InForce:
    """An active row as scoring sees it."""
    assert row.set_by and row.set_at and row.expires_at and row.baseline_score is not None
    return InForce(
        row.id,
        TriggerKey(row.trigger),
        row.set_by,
        row.set_at.date(),
        row.expires_at.date(),
        row.baseline_score,
    )


def get(session: Session, *, exception_id: int) -> AccountException | None:
    return session.get(AccountException, exception_id)


def open_for(session: Session, *, account_id: str, trigger: str) -> AccountException | None:
    """The account's exception on `trigger` that is active or still offered, if any."""
    return session.scalar(
        select(AccountException)
        .where(
            AccountException.account_id == account_id,
            AccountException.trigger == trigger,
            AccountException.state.in_(OPEN_STATES),
        )
        .order_by(AccountException.state)  # active before offered
        .limit(1)
    )


def create_offer(
    session: Session, *, account_id: str, trigger: str, card_id: int, now: datetime
) -> AccountException | None:
    """A new offer for the card's dismissal; None when that dismissal was already offered."""
    values = {
        "account_id": account_id,
        "trigger": trigger,
        "card_id": card_id,
        "state": "offered",
        "offered_at": now,
    }
    return _insert(session, values)


def create_active(
    session: Session,
    *,
    account_id: str,
    trigger: str,
    card_id: int | None,
    actor: str,
    now: datetime,
    expires_at: datetime,
    baseline_score: int,
) -> AccountException | None:
    """An exception set at once; None when one is already active on the account and trigger."""
    values = {
        "account_id": account_id, "trigger": trigger, "card_id": card_id, "state": "active",
        "set_by": actor, "set_at": now, "expires_at": expires_at, "baseline_score": baseline_score,
    }  # fmt: skip
    return _insert(session, values)


def accept_offer(
    session: Session,
    *,
    exception_id: int,
    actor: str,
    now: datetime,
    expires_at: datetime,
    baseline_score: int,
) -> bool:
    return _move(
        session, exception_id, ExceptionState.OFFERED, ExceptionState.ACTIVE,
        set_by=actor, set_at=now, expires_at=expires_at, baseline_score=baseline_score,
    )  # fmt: skip


def decline_offer(session: Session, *, exception_id: int, actor: str, now: datetime) -> bool:
    return _move(
        session,
        exception_id,
        ExceptionState.OFFERED,
        ExceptionState.DECLINED,
        declined_by=actor,
        declined_at=now,
    )


def lift(session: Session, *, exception_id: int, actor: str, now: datetime) -> bool:
    return _move(
        session, exception_id, ExceptionState.ACTIVE, ExceptionState.LIFTED, lifted_by=actor, lifted_at=now
    )


def lapse(session: Session, *, exception_id: int, reason: str, detail: str, now: datetime) -> bool:
    return _move(
        session, exception_id, ExceptionState.ACTIVE, ExceptionState.LAPSED,
        lapsed_at=now, lapse_reason=reason, lapse_detail=detail,
    )  # fmt: skip


def for_account(session: Session, *, account_id: str) -> list[AccountException]:
    """Every exception of the account that was ever in force, newest first."""
    return list(
        session.scalars(
            select(AccountException)
            .where(AccountException.account_id == account_id, AccountException.set_at.is_not(None))
            .order_by(AccountException.set_at.desc(), AccountException.id.desc())
        )
    )


def active_listing(
    session: Session, *, owners: Collection[str] | None, limit: int = 50
) -> list[tuple[AccountException, Account]]:
    """Active exceptions on the accounts these people own (None: every account), soonest to
    expire first, with their accounts."""
    query = (
        select(AccountException, Account)
        .join(Account, Account.account_id == AccountException.account_id)
        .where(AccountException.state == ExceptionState.ACTIVE.value)
        .order_by(AccountException.expires_at, AccountException.id)
        .limit(limit)
    )
    if owners is not None:
        query = query.where(Account.owner_slack_id.in_(sorted(owners)))
    return [(row, account) for row, account in session.execute(query)]


def lapsed_since(
    session: Session, *, account_ids: Collection[str], since: datetime
) -> list[AccountException]:
    """The exceptions on these accounts that lapsed (or expired) at `since` or later, oldest first."""
    ids = sorted(set(account_ids))
    found: list[AccountException] = []
    for start in range(0, len(ids), IN_CHUNK):
        found.extend(
            session.scalars(
                select(AccountException).where(
                    AccountException.account_id.in_(ids[start : start + IN_CHUNK]),
                    AccountException.state == ExceptionState.LAPSED.value,
                    AccountException.lapsed_at >= since,
                )
            )
        )
    return sorted(found, key=lambda row: (row.lapsed_at or since, row.id))


def trigger_history(
    session: Session, *, account_id: str, trigger: str, owner: str, since: datetime
) -> list[PastDecision]:
    """What became of the account's cards on `trigger` decided since `since`, and when an
    exception on it was answered or set: the input of `scoring.exceptions.offer_due`."""
    c = EscalationCard
    cards = session.execute(
        select(c.decided_at, c.state, c.dismiss_reason, c.decided_by)
        .join(Signal, Signal.id == c.signal_id)
        .where(c.account_id == account_id, Signal.trigger == trigger, c.decided_at >= since)
    )
    history: list[PastDecision] = []
    for decided_at, state, reason, decided_by in cards:
        if decided_at is None:
            continue
        if state in APPROVALS:
            history.append(PastDecision(decided_at, PastOutcome.APPROVED))
        elif state == CardState.DISMISSED and reason == DismissReason.KNOWN_CONTEXT:
            history.append(PastDecision(decided_at, PastOutcome.KNOWN_CONTEXT, by_owner=decided_by == owner))
        elif state == CardState.DISMISSED:
            history.append(PastDecision(decided_at, PastOutcome.OTHER_DISMISSAL))
    x = AccountException
    answers = session.execute(
        select(x.set_at, x.declined_at).where(x.account_id == account_id, x.trigger == trigger)
    )
    for set_at, declined_at in answers:
        history.extend(
            PastDecision(at, PastOutcome.EXCEPTION)
            for at in (set_at, declined_at)
            if at is not None and at >= since
        )
    return history


def _insert(session: Session, values: dict[str, Any]) -> AccountException | None:
    new_id = session.scalar(
        _insert_skipping_conflicts(session).values(**values).returning(AccountException.id)
    )
    return session.get(AccountException, new_id) if new_id is not None else None


def _insert_skipping_conflicts(session: Session) -> Insert:
    """ON CONFLICT DO NOTHING with no target: the card's offer and the partial index alike."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(EXCEPTIONS).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(EXCEPTIONS).on_conflict_do_nothing()
    return insert(EXCEPTIONS)


def _move(
    session: Session, exception_id: int, before: ExceptionState, after: ExceptionState, **values: object
) -> bool:
    """One guarded transition; True only for the caller whose update won."""
    result = session.execute(
        update(AccountException)
        .where(AccountException.id == exception_id, AccountException.state == before.value)
        .values(state=after.value, **values)
        .execution_options(synchronize_session=False)
    )
    won = result.rowcount == 1  # type: ignore[attr-defined]
    if won:
        row = session.get(AccountException, exception_id)
        if row is not None:
            session.refresh(row)
    return won
