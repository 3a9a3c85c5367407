"""Setting and lifting account exceptions from Slack: the offer's two buttons, the card menu's
"Quiet until it gets worse", App Home's Lift.

Who may: the account's CSM, their manager, or ops and admin (`users.may_act_on`, as for the
account's cards and its veto); another CSM is refused and nothing changes. Each runs in one
transaction with a guarded update, so a second click, a retry or a colleague's click at the
same moment changes nothing and says who got there first. Each change is an override-log row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.blocks.account_exception import ExceptionView, outcome_line
from bot.deps import Deps
from bot.workflows.card_decisions import Decided
from bot.workflows.card_views import load_card_view
from bot.workflows.exceptions.views import exception_view, rules_in
from bot.workflows.refused import CARD_GONE, NOT_YOURS, Refused, already_decided
from scoring.config import AccountExceptions
from scoring.exceptions import NEVER_EXCEPTED
from scoring.types import TriggerKey
from storage.db import transaction
from storage.enums import CardState, DismissReason, ExceptionState
from storage.models import Account, AccountException, EscalationCard, Signal
from storage.repositories import account_exceptions, cards, overrides, snapshots, users

NOT_AUTHORIZED = (
    "Only the account's CSM, their manager or ops can set or lift its exceptions. Nothing was changed."
)
QUIET_NOTE = "Known context: quiet until it gets worse"


@dataclass(frozen=True)
class ExceptionDone:
    view: ExceptionView

    @property
    def message(self) -> str:
        return outcome_line(self.view)


ExceptionOutcome = ExceptionDone | Refused


@dataclass(frozen=True)
class QuietSet:
    """The card menu's exception: the card dismissed as known context, its trigger now quiet."""

    card: Decided
    exception: ExceptionView


def accept_offer(deps: Deps, *, exception_id: int, actor: str) -> ExceptionOutcome:
    now = deps.clock.now()
    with transaction(deps.session_factory) as session:
        loaded = _load(session, exception_id, actor)
        if isinstance(loaded, Refused):
            return loaded
        row, account, rules = loaded
        if row.state != ExceptionState.OFFERED:
            return _answered(row, account, rules)
        active = account_exceptions.open_for(session, account_id=account.account_id, trigger=row.trigger)
        if active is not None and active.state == ExceptionState.ACTIVE:
            return _already_quiet(active, account, rules)
        baseline = _baseline(session, account, row.card_id, now)
        expires = now + timedelta(days=rules.quiet_days)
        if not account_exceptions.accept_offer(
            session, exception_id=row.id, actor=actor, now=now, expires_at=expires, baseline_score=baseline
        ):
            session.refresh(row)
            return _answered(row, account, rules)
        waited = (now - row.offered_at).total_seconds() if row.offered_at else 0.0
        view = exception_view(row, account, rules)
        _log(session, row, "exception_set", actor, now, f"from the offer: {outcome_line(view)}", waited)
        return ExceptionDone(view)


def decline_offer(deps: Deps, *, exception_id: int, actor: str) -> ExceptionOutcome:
    now = deps.clock.now()
    with transaction(deps.session_factory) as session:
        loaded = _load(session, exception_id, actor)
        if isinstance(loaded, Refused):
            return loaded
        row, account, rules = loaded
        if not account_exceptions.decline_offer(session, exception_id=row.id, actor=actor, now=now):
            session.refresh(row)
            return _answered(row, account, rules)
        waited = (now - row.offered_at).total_seconds() if row.offered_at else 0.0
        _log(session, row, "exception_declined", actor, now, "No thanks to quiet until it gets worse", waited)
        return ExceptionDone(exception_view(row, account, rules))


def lift_exception(deps: Deps, *, exception_id: int, actor: str) -> ExceptionOutcome:
    now = deps.clock.now()
    with transaction(deps.session_factory) as session:
        loaded = _load(session, exception_id, actor)
        if isinstance(loaded, Refused):
            return loaded
        row, account, rules = loaded
        if not account_exceptions.lift(session, exception_id=row.id, actor=actor, now=now):
            session.refresh(row)
            return _answered(row, account, rules)
        _log(session, row, "exception_lifted", actor, now, f"lifted; {row.trigger} acts as usual again")
        return ExceptionDone(exception_view(row, account, rules))


def quiet_from_card(deps: Deps, *, card_id: int, actor: str) -> QuietSet | Refused:
    """The card menu's "Quiet until it gets worse" on a pending card: the card is dismissed as
    known context (what the person says by choosing it), and its trigger is excepted on the
    account at once."""
    try:
        return _quiet_from_card(deps, card_id=card_id, actor=actor)
    except _Raced as raced:  # rolled back: the card stays pending
        return Refused(raced.message)


def _quiet_from_card(deps: Deps, *, card_id: int, actor: str) -> QuietSet | Refused:
    now = deps.clock.now()
    with transaction(deps.session_factory) as session:
        card = cards.get_card(session, card_id=card_id)
        account = session.get(Account, card.account_id) if card else None
        signal = session.get(Signal, card.signal_id) if card else None
        if card is None or account is None or signal is None:
            return CARD_GONE
        if not users.may_act_on(session, account=account, actor=actor):
            return NOT_YOURS
        if card.state != CardState.PENDING:
            return already_decided(card.state, card.decided_by, card.decided_at)
        if TriggerKey(signal.trigger) in NEVER_EXCEPTED:
            return Refused("A manual flag is a person's call; it can't be kept quiet. Nothing was changed.")
        rules = rules_in(session)
        active = account_exceptions.open_for(session, account_id=account.account_id, trigger=signal.trigger)
        if active is not None and active.state == ExceptionState.ACTIVE:
            return Refused(_already_quiet(active, account, rules).message)
        if not cards.decide(
            session, card_id=card_id, new_state=CardState.DISMISSED, actor=actor, now=now,
            dismiss_reason=DismissReason.KNOWN_CONTEXT.value,
        ):  # fmt: skip
            session.refresh(card)
            return already_decided(card.state, card.decided_by, card.decided_at)
        session.refresh(card)
        overrides.record_override(
            session, card=card, signal=signal, draft=None, action=CardState.DISMISSED.value, actor=actor,
            now=now, reason=QUIET_NOTE,
        )  # fmt: skip
        row = account_exceptions.create_active(
            session, account_id=account.account_id, trigger=signal.trigger, card_id=card.id, actor=actor,
            now=now, expires_at=now + timedelta(days=rules.quiet_days),
            baseline_score=_baseline(session, account, card.id, now),
        )  # fmt: skip
        if row is None:  # someone set one a moment ago: roll back, so nothing changes
            raise _Raced(
                f"{signal.trigger} was just made quiet on {account.name} by someone else. Nothing was changed."
            )
        view = exception_view(row, account, rules)
        _log(session, row, "exception_set", actor, now, f"from card {card.id}: {outcome_line(view)}")
        card_view = load_card_view(session, card_id=card_id)
        assert card_view is not None  # the card, signal and account were all read above
        return QuietSet(Decided(card_view, card.channel_id, card.message_ts), view)


class _Raced(RuntimeError):
    """Two exceptions for one trigger at once: the loser's transaction rolls back."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _load(
    session: Session, exception_id: int, actor: str
) -> tuple[AccountException, Account, AccountExceptions] | Refused:
    row = account_exceptions.get(session, exception_id=exception_id)
    account = session.get(Account, row.account_id) if row else None
    if row is None or account is None:
        return Refused("This exception no longer exists. Nothing was changed.")
    if not users.may_act_on(session, account=account, actor=actor):
        return Refused(NOT_AUTHORIZED)
    return row, account, rules_in(session)


def _answered(row: AccountException, account: Account, rules: AccountExceptions) -> Refused:
    """What a second click is told: what became of it, and that nothing changed."""
    if row.state == ExceptionState.OFFERED:  # an offer never moves back to offered
        return Refused("Nothing was changed.")
    return Refused(
        f"Already handled: {outcome_line(exception_view(row, account, rules))} Nothing was changed."
    )


def _already_quiet(row: AccountException, account: Account, rules: AccountExceptions) -> Refused:
    return Refused(f"Already quiet: {outcome_line(exception_view(row, account, rules))} Nothing was changed.")


def _baseline(session: Session, account: Account, card_id: int | None, now: datetime) -> int:
    """The account's score now: its newest stored score, else the score on the card's signal."""
    latest = snapshots.latest_score(session, account_id=account.account_id, on_or_before=now.date())
    if latest is not None:
        return latest
    card = session.get(EscalationCard, card_id) if card_id else None
    signal = session.get(Signal, card.signal_id) if card else None
    score = signal.details.get("score") if signal and isinstance(signal.details, dict) else None
    return int(score) if isinstance(score, int | float) else 0


def _log(
    session: Session,
    row: AccountException,
    action: str,
    actor: str,
    now: datetime,
    reason: str,
    waited: float = 0.0,
) -> None:
    overrides.record_exception(
        session, exception=row, action=action, actor=actor, now=now, reason=reason, seconds_to_decide=waited
    )
