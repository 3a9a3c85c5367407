"""Open a card that waited in the digest (over its day's card budget): draft it, then post it.

A card in the digest has no draft yet (nobody may ever open it, and an LLM draft costs money);
opening it writes the draft from the facts of the signal's day, then posts the card to the
opener's DM like any other. Two clicks post it once: the first to move the card from the
digest to the DM (a guarded update) stores its draft, and the post itself is claimed.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.deps import Deps
from bot.workflows.card_posting import post_owed_cards
from bot.workflows.card_views import SENDING_ROUTES
from bot.workflows.cycle import active_trigger_config
from bot.workflows.cycle_plan import evidence_lines
from bot.workflows.draft_requests import draft_request_for
from bot.workflows.draft_step import store_draft, write_drafts
from bot.workflows.refused import Refused
from bot.workflows.stored_decisions import decision_from_row
from prompts.drafting import DraftRequest, DraftResult
from scoring.health import score_account
from scoring.types import Route
from storage.db import transaction
from storage.enums import CardState
from storage.models import Account, EscalationCard, User
from storage.models import Signal as SignalRow
from storage.repositories import cards, users
from storage.repositories.facts import load_account_facts


@dataclass(frozen=True)
class Opened:
    account_name: str


@dataclass(frozen=True)
class Prepared:
    """What opening needs, worked out outside any transaction (an LLM may be slow)."""

    evidence: list[str]
    draft: tuple[DraftRequest, DraftResult] | None  # None: the card proposes no send, or has one


def open_deferred_card(deps: Deps, *, card_id: int, actor: str) -> Opened | Refused:
    prepared = _prepare(deps, card_id=card_id, actor=actor)
    if isinstance(prepared, Refused):
        return prepared
    now = deps.clock.now()
    with transaction(deps.session_factory) as session:
        card = session.get(EscalationCard, card_id)
        account = session.get(Account, card.account_id) if card else None
        signal = session.get(SignalRow, card.signal_id) if card and card.signal_id else None
        if card is None or account is None or signal is None:
            return Refused("This card no longer exists.")
        if card.state != CardState.PENDING:
            return Refused(f"Already decided ({card.state}) by <@{card.decided_by}>. Nothing was changed.")
        if card.message_ts or not cards.move_to_dm(session, card_id=card_id):
            return Refused(f"The {account.name} card is already in <@{card.recipient_slack_id}>'s DM.")
        if prepared.draft is not None and card.draft_id is None:
            request, result = prepared.draft
            stored = store_draft(
                session,
                request=request,
                result=result,
                account_id=card.account_id,
                signal_id=card.signal_id,
                now=now,
            )
            card.draft_id = stored.id
        if prepared.evidence and not (signal.details or {}).get("evidence"):
            signal.details = {**(signal.details or {}), "evidence": prepared.evidence}
        opened = Opened(account.name)
    post_owed_cards(deps, card_id=card_id)
    return opened


def _prepare(deps: Deps, *, card_id: int, actor: str) -> Prepared | Refused:
    """The card's evidence and the draft it needs, from the facts of the signal's day; or why
    the actor may not open it."""
    _, config = active_trigger_config(deps)
    with deps.session_factory() as session:
        card = session.get(EscalationCard, card_id)
        account = session.get(Account, card.account_id) if card else None
        signal = session.get(SignalRow, card.signal_id) if card and card.signal_id else None
        if card is None or account is None or signal is None:
            return Refused("This card no longer exists.")
        if not users.may_act_on(session, account=account, actor=actor):
            return Refused(
                "Only the account's CSM, their manager, or ops can open this card. Nothing was changed."
            )
        if card.state != CardState.PENDING or card.message_ts:
            return Prepared([], None)  # the transaction says what happened to it
        facts = load_account_facts(session, as_of=signal.as_of, account_ids=[account.account_id])
        owner = session.get(User, account.owner_slack_id)
        wants_draft = card.draft_id is None and Route(signal.route) in SENDING_ROUTES
    if not facts:
        return Refused("This card's account no longer exists.")
    health = score_account(facts[0], as_of=signal.as_of, config=config)
    evidence = evidence_lines(facts[0], health, config)
    if not wants_draft:
        return Prepared(evidence, None)
    request = draft_request_for(
        facts[0], health, decision_from_row(signal), owner_name=owner.name if owner else "your CSM"
    )
    (result,) = write_drafts(deps, [request])
    return Prepared(evidence, (request, result))
