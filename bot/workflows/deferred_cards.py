"""Open a card that waited in the digest (over its day's card budget): draft it, then post it.

A card in the digest has no draft yet (nobody may ever open it, and an LLM draft costs money);
opening it writes the draft from the facts of the signal's day, then posts the card to the
opener's DM like any other. Two clicks post it once.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.deps import Deps
from bot.workflows.card_posting import post_new_card
from bot.workflows.card_views import SENDING_ROUTES
from bot.workflows.cycle import active_trigger_config
from bot.workflows.draft_requests import draft_request_for
from bot.workflows.draft_step import store_draft, write_drafts
from bot.workflows.stored_decisions import decision_from_row
from prompts.drafting import DraftRequest, DraftResult
from scoring.health import score_account
from scoring.types import Route
from storage.db import transaction
from storage.enums import CardDelivery, CardState
from storage.models import Account, EscalationCard, User
from storage.models import Signal as SignalRow
from storage.repositories import users
from storage.repositories.facts import load_account_facts


@dataclass(frozen=True)
class Opened:
    account_name: str


@dataclass(frozen=True)
class OpenRefused:
    message: str


def open_deferred_card(deps: Deps, *, card_id: int, actor: str) -> Opened | OpenRefused:
    draft = _draft_for(deps, card_id=card_id, actor=actor)
    if isinstance(draft, OpenRefused):
        return draft
    now = deps.clock.now()
    with transaction(deps.session_factory) as session:
        card = session.get(EscalationCard, card_id)
        account = session.get(Account, card.account_id) if card else None
        if card is None or account is None:
            return OpenRefused("This card no longer exists.")
        if card.state != CardState.PENDING:
            return OpenRefused(
                f"Already decided ({card.state}) by <@{card.decided_by}>. Nothing was changed."
            )
        if card.message_ts:
            return OpenRefused(f"The {account.name} card is already in <@{card.recipient_slack_id}>'s DM.")
        if draft is not None and card.draft_id is None:
            request, result = draft
            stored = store_draft(
                session,
                request=request,
                result=result,
                account_id=card.account_id,
                signal_id=card.signal_id,
                now=now,
            )
            card.draft_id = stored.id
        card.delivery = CardDelivery.DM.value
        session.flush()
        post_new_card(session, poster=deps.poster, card_id=card_id, now=now)
        return Opened(account.name)


def _draft_for(
    deps: Deps, *, card_id: int, actor: str
) -> tuple[DraftRequest, DraftResult] | OpenRefused | None:
    """The draft the card needs (None when it proposes no send or has one), written outside any
    transaction; or why the actor may not open it."""
    _, config = active_trigger_config(deps)
    with deps.session_factory() as session:
        card = session.get(EscalationCard, card_id)
        account = session.get(Account, card.account_id) if card else None
        signal = session.get(SignalRow, card.signal_id) if card else None
        if card is None or account is None or signal is None:
            return OpenRefused("This card no longer exists.")
        if not users.may_act_on(session, account=account, actor=actor):
            return OpenRefused(
                "Only the account's CSM, their manager, or ops can open this card. Nothing was changed."
            )
        if (
            card.draft_id is not None
            or card.state != CardState.PENDING
            or Route(signal.route) not in SENDING_ROUTES
        ):
            return None
        facts = load_account_facts(session, as_of=signal.as_of, account_ids=[account.account_id])
        owner = session.get(User, account.owner_slack_id)
    if not facts:
        return OpenRefused("This card's account no longer exists.")
    health = score_account(facts[0], as_of=signal.as_of, config=config)
    request = draft_request_for(
        facts[0], health, decision_from_row(signal), owner_name=owner.name if owner else "your CSM"
    )
    (result,) = write_drafts(deps, [request])
    return request, result
