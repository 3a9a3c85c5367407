"""Worth a look / Not needed on an audit card: authorize, answer once, log it with its weight.

Like a card decision (bot.workflows.card_decisions): one transaction, a guarded update on
`state = 'pending'`, so a second click, a Slack retry or a colleague's simultaneous click
changes nothing and learns who answered. Only the account's CSM, their manager or ops may
answer. The answer is an override-log row (action worth_a_look or not_needed, the near miss's
trigger); the card keeps the propensity that weighs it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.deps import Deps
from bot.workflows.audit.view import AuditCardView, load_audit_view
from bot.workflows.refused import CARD_GONE, NOT_YOURS, Refused, already_decided
from storage.db import transaction
from storage.enums import CardKind, CardState
from storage.models import Account
from storage.repositories import cards, overrides, users


@dataclass(frozen=True)
class Answered:
    view: AuditCardView
    channel_id: str | None
    message_ts: str | None


def worth_a_look(deps: Deps, *, card_id: int, actor: str) -> Answered | Refused:
    return answer(deps, card_id=card_id, actor=actor, state=CardState.WORTH_A_LOOK)


def not_needed(deps: Deps, *, card_id: int, actor: str) -> Answered | Refused:
    return answer(deps, card_id=card_id, actor=actor, state=CardState.NOT_NEEDED)


def answer(deps: Deps, *, card_id: int, actor: str, state: CardState) -> Answered | Refused:
    outcome = _answer_once(deps, card_id=card_id, actor=actor, state=state)
    if isinstance(outcome, Answered):  # counted once committed
        deps.metrics.card_decided(state.value)
    return outcome


def _answer_once(deps: Deps, *, card_id: int, actor: str, state: CardState) -> Answered | Refused:
    now = deps.clock.now()
    with transaction(deps.session_factory) as session:
        card = cards.get_card(session, card_id=card_id)
        account = session.get(Account, card.account_id) if card is not None else None
        if card is None or account is None or card.kind != CardKind.AUDIT:
            return CARD_GONE
        if not users.may_act_on(session, account=account, actor=actor):
            return NOT_YOURS
        if card.state != CardState.PENDING:  # a fast answer; the guarded update below is the guard
            return already_decided(card.state, card.decided_by, card.decided_at)
        if not cards.answer_audit(session, card_id=card_id, answer=state, actor=actor, now=now):
            session.refresh(card)
            return already_decided(card.state, card.decided_by, card.decided_at)
        session.refresh(card)
        overrides.record_audit_answer(session, card=card, action=state.value, actor=actor, now=now)
        view = load_audit_view(session, card_id=card_id)
        assert view is not None  # the card and its account were read above
        return Answered(view, card.channel_id, card.message_ts)
