"""Account exceptions as people see them: the rules in force, one exception's view, App Home's
list and explain's rows (reads only)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from bot.blocks.account_exception import ExceptionView
from scoring.config import AccountExceptions, TriggerConfig
from scoring.exceptions import quiet_sentence
from storage.enums import ExceptionState
from storage.models import Account, AccountException
from storage.repositories import account_exceptions, configs, users


def rules_in(session: Session) -> AccountExceptions:
    """The active configuration's exception rules (the defaults before a configuration exists)."""
    row = configs.active_config(session)
    if row is None:
        return AccountExceptions()
    return TriggerConfig.model_validate(row.body).guardrails.account_exceptions


def exception_view(
    row: AccountException,
    account: Account,
    rules: AccountExceptions,
    *,
    score: int | None = None,
    dismissals: Sequence[date] = (),
) -> ExceptionView:
    """`score`: the latest score, for an offer (a set exception shows its baseline)."""
    ended = row.declined_at or row.lapsed_at or row.lifted_at
    return ExceptionView(
        exception_id=row.id,
        state=row.state,
        account_id=account.account_id,
        account_name=account.name,
        trigger=row.trigger,
        quiet_days=rules.quiet_days,
        lapse_points=rules.lapse_points,
        score=row.baseline_score if row.baseline_score is not None else score,
        set_by=row.set_by,
        set_on=row.set_at.date() if row.set_at else None,
        expires_on=row.expires_at.date() if row.expires_at else None,
        declined_by=row.declined_by,
        lifted_by=row.lifted_by,
        ended_at=ended,
        lapse_detail=row.lapse_detail,
        dismissals=tuple(dismissals),
    )


def home_views(session: Session, *, actor: str) -> tuple[list[ExceptionView], bool]:
    """The active exceptions `actor` may lift (ops and admin: all of them; a CSM: on their
    accounts; a manager: on their team's), and whether that is the whole book."""
    owners = users.visible_owners(session, actor=actor)
    if owners is not None and not owners:
        return [], False
    rules = rules_in(session)
    rows = account_exceptions.active_listing(session, owners=owners)
    return [exception_view(row, account, rules) for row, account in rows], owners is None


def explain_rows(session: Session, *, account: Account) -> list[dict[str, object]]:
    """Every exception the account ever had, newest first, for `explain`."""
    rules = rules_in(session)
    return [
        {
            "trigger": row.trigger,
            "state": row.state,
            "set_by": row.set_by,
            "set_at": row.set_at.isoformat() if row.set_at else None,
            "expires_at": row.expires_at.isoformat() if row.expires_at else None,
            "baseline_score": row.baseline_score,
            "lapses_at_or_below": (row.baseline_score - rules.lapse_points)
            if row.baseline_score is not None
            else None,
            "lapsed_at": row.lapsed_at.isoformat() if row.lapsed_at else None,
            "lapse_reason": row.lapse_reason,
            "lifted_by": row.lifted_by,
            "lifted_at": row.lifted_at.isoformat() if row.lifted_at else None,
            "sentence": _sentence(row, account, rules),
        }
        for row in account_exceptions.for_account(session, account_id=account.account_id)
    ]


def _sentence(row: AccountException, account: Account, rules: AccountExceptions) -> str:
    """Plain text (explain is read in a terminal and as JSON, not as Slack mrkdwn)."""
    if row.state == ExceptionState.ACTIVE:
        return quiet_sentence(account_exceptions.in_force(row), account.name, rules)
    if row.state == ExceptionState.LAPSED:
        return row.lapse_detail or "Lapsed."
    if row.state == ExceptionState.LIFTED:
        when = f" on {row.lifted_at:%Y-%m-%d}" if row.lifted_at else ""
        return f"Lifted by <@{row.lifted_by}>{when}: {row.trigger} acts as usual on {account.name} again."
    return row.state
