"""Deliver the hand-off packets owed: write each account's brief, then post the packet.

The brief is the one `/brief` writes (bot.workflows.brief: the same facts, the drafter with its
template fallback, a stored brief reused for the same facts), written outside any transaction
because the LLM is slow; the packet itself is rendered from the account's state when it is
posted, and what was posted is kept on its delivery row, so a hand-back can later show who
handed it back in place of the button. Delivery is the engine's: claimed, posted once, retried,
and a packet that failed for good is shown to ops (whose Retry the minute sweep picks up).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.blocks.hand_off import build_packet
from bot.delivery.engine import DeliveryRun, Rendered, deliver_due
from bot.delivery.notices import deliver_notices
from bot.deps import Deps
from bot.posting import PostedMessage
from bot.workflows.brief import brief_request
from bot.workflows.cycle import active_trigger_config
from bot.workflows.draft_step import write_brief
from bot.workflows.hand_off.owed import thread_of
from bot.workflows.hand_off.views import load_packet_view
from prompts.drafting import DraftResult
from storage.enums import DeliveryKind
from storage.models import Account, SlackDelivery
from storage.repositories import cards, deliveries


class PacketRenderer:
    """A packet from the account's current state and the brief written for it just before."""

    def __init__(self, brief: DraftResult | None, *, hand_back_days: int) -> None:
        self._brief = brief
        self._hand_back_days = hand_back_days

    def render(self, session: Session, row: SlackDelivery) -> Rendered | str:
        card = cards.get_card(session, card_id=row.card_id or 0)
        account = session.get(Account, card.account_id) if card is not None else None
        if card is None or account is None or self._brief is None:
            return "the card or its account no longer exists"
        now = row.claimed_at or row.created_at  # this attempt's time (the injected clock's)
        view = load_packet_view(
            session, card=card, account=account, now=now, hand_back_days=self._hand_back_days
        )
        text, blocks = build_packet(view, self._brief)
        row.text, row.blocks = text, blocks  # kept: a hand-back updates the packet as posted
        return Rendered(text, blocks, thread_ts=thread_of(row.key))

    def after_sent(self, session: Session, row: SlackDelivery, posted: PostedMessage, now: datetime) -> None:
        return None


def deliver_packets(deps: Deps, *, card_id: int | None = None) -> DeliveryRun:
    """Post every packet due now (or this card's), each after writing its account's brief."""
    run = DeliveryRun()
    if deps.poster.is_preview:
        return run  # a terminal has no thread to post into; the rows wait for Slack
    now = deps.clock.now()
    stale = now - timedelta(seconds=deps.settings.delivery.stale_claim_seconds)
    with deps.session_factory() as session:
        ids = deliveries.due_ids(
            session, now=now, stale_before=stale, kinds=[DeliveryKind.HAND_OFF], card_id=card_id
        )
        owed = [
            (row.key, row.card_id) for i in ids if (row := deliveries.get(session, delivery_id=i)) is not None
        ]
    if not owed:
        return run
    _, config = active_trigger_config(deps)
    for key, owed_card in owed:
        brief = _brief_for(deps, card_id=owed_card or 0)  # None: the row is cancelled as no longer owed
        renderer = PacketRenderer(brief, hand_back_days=config.attention.hand_back_days)
        run.merge(deliver_due(deps, {DeliveryKind.HAND_OFF: renderer}, key=key))
    if run.failed:
        deliver_notices(deps)  # ops hears of a packet that failed for good
    return run


def _brief_for(deps: Deps, *, card_id: int) -> DraftResult | None:
    with deps.session_factory() as session:
        card = cards.get_card(session, card_id=card_id)
        account = session.get(Account, card.account_id) if card is not None else None
    if account is None:
        return None
    return write_brief(deps, brief_request(deps, account), account_id=account.account_id)
