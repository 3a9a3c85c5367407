"""The exception offer: after the owner's known-context dismissal, offer "quiet until it gets
worse" in their DM when `scoring.exceptions.offer_due` says so.

Called inside the dismissal's transaction, so the offer row and the notice it owes are written
with the dismissal or not at all; the notice is keyed by (account, trigger, that dismissal's
card), so a retried or replayed request owes it once, and the delivery engine posts it once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.blocks.account_exception import build_offer_message
from bot.delivery.notices import deliver_notices, owe_notice
from bot.deps import Deps
from bot.workflows.exceptions.views import exception_view, rules_in
from scoring.exceptions import NEVER_EXCEPTED, PastOutcome, offer_due
from scoring.types import TriggerKey
from storage.enums import DeliveryKind
from storage.models import Account, EscalationCard, Signal
from storage.repositories import account_exceptions, snapshots


def offer_key(*, account_id: str, trigger: str, card_id: int) -> str:
    return f"exception-offer:{account_id}:{trigger}:{card_id}"


def offer_if_due(
    session: Session, *, card: EscalationCard, account: Account, signal: Signal, now: datetime
) -> bool:
    """Owe the owner an offer for this known-context dismissal when one is due; True if owed."""
    owner = account.owner_slack_id
    if card.decided_by != owner or TriggerKey(signal.trigger) in NEVER_EXCEPTED:
        return False
    if account_exceptions.open_for(session, account_id=account.account_id, trigger=signal.trigger):
        return False  # already quiet, or an offer is waiting for an answer
    rules = rules_in(session)
    history = account_exceptions.trigger_history(
        session,
        account_id=account.account_id,
        trigger=signal.trigger,
        owner=owner,
        since=now - timedelta(days=rules.offer_window_days),
    )
    if not offer_due(history, now=now, rules=rules):
        return False
    row = account_exceptions.create_offer(
        session, account_id=account.account_id, trigger=signal.trigger, card_id=card.id, now=now
    )
    if row is None:  # this dismissal was offered already
        return False
    dismissed = sorted(d.at.date() for d in history if d.outcome is PastOutcome.KNOWN_CONTEXT and d.by_owner)
    score = snapshots.latest_score(session, account_id=account.account_id, on_or_before=now.date())
    view = exception_view(
        row, account, rules, score=score, dismissals=dismissed[-rules.offer_after_dismissals :]
    )
    text, blocks = build_offer_message(view)
    owe_notice(
        session,
        key=offer_key(account_id=account.account_id, trigger=signal.trigger, card_id=card.id),
        kind=DeliveryKind.EXCEPTION_OFFER,
        recipients=[owner],
        text=text,
        blocks=blocks,
        now=now,
    )
    return True


def deliver_offers(deps: Deps) -> None:
    """Post the offers (and any other notice) owed now, once each."""
    deliver_notices(deps)
