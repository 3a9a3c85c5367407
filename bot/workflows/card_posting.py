"""Post cards to their recipients' DMs, once, and notify the manager of an escalation.

A card (an escalation card or an audit card) is owed a post while it is pending, meant for the
DM and not in Slack yet; the delivery engine (bot.delivery.engine) claims each owed post before
posting, so two cycles at once, a cycle and the scheduler's sweep, or two **Open card** clicks
post a card once. An escalation's notice to the manager is owed in the same transaction that
records the card's message, and delivered like any notice (retried, failed visibly).

Without Slack (the terminal preview) cards are rendered but left unposted: a later run with
Slack posts them, and only a card really in Slack counts as waiting for a decision.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks.audit_card import build_audit_card_message
from bot.blocks.escalation_card import build_card_message, build_manager_notice
from bot.delivery.engine import DeliveryRun, Rendered, deliver_due
from bot.delivery.notices import deliver_notices
from bot.deps import Deps
from bot.posting import MessageTag, PostedMessage
from bot.workflows.audit.view import load_audit_view
from bot.workflows.card_views import load_card_view, manager_slack_id
from storage.db import transaction
from storage.enums import CardDelivery, CardKind, CardState, DeliveryKind
from storage.models import EscalationCard, SlackDelivery
from storage.repositories import cards, deliveries

logger = logging.getLogger(__name__)


class CardRenderer:
    """A card is rendered from its current state when posted; once posted it records its message
    and, for an escalation, owes the manager a notice."""

    def render(self, session: Session, row: SlackDelivery) -> Rendered | str:
        card = cards.get_card(session, card_id=row.card_id or 0)
        if card is None:
            return "the card no longer exists"
        if card.state != CardState.PENDING:
            return f"the card was {card.state} before it was posted"
        if card.message_ts:
            return "the card is already in Slack"
        message = render_card(session, card)
        if message is None:
            return "the card's account or signal no longer exists"
        return Rendered(*message)

    def after_sent(self, session: Session, row: SlackDelivery, posted: PostedMessage, now: datetime) -> None:
        card_id = row.card_id or 0
        cards.mark_posted(session, card_id=card_id, channel_id=posted.channel_id, message_ts=posted.ts, now=now)
        if cards.route_of(session, card_id=card_id) != "escalate":
            return  # only an escalation tells the manager
        view = load_card_view(session, card_id=card_id)
        if view is None:
            return
        manager = manager_slack_id(session, slack_id=view.recipient_slack_id)
        if manager:
            text, blocks = build_manager_notice(view, csm_slack_id=view.recipient_slack_id)
            deliveries.owe(
                session,
                rows=[{"key": f"escalation:{card_id}:{manager}", "kind": DeliveryKind.ESCALATION_NOTICE.value,
                       "recipient": manager, "text": text, "blocks": blocks}],
                now=now,
            )  # fmt: skip


def render_card(session: Session, card: EscalationCard) -> tuple[str, list[dict[str, Any]]] | None:
    """A card's text and blocks from its current state: an escalation card, or an audit card."""
    if card.kind == CardKind.AUDIT:
        audit_view = load_audit_view(session, card_id=card.id)
        return build_audit_card_message(audit_view) if audit_view is not None else None
    view = load_card_view(session, card_id=card.id)
    return build_card_message(view) if view is not None else None


CARD_RENDERERS = {DeliveryKind.CARD: CardRenderer()}
PREVIEW_TAG = "tandem_card_preview"  # names the card a preview rendered (the demo shows them)


def post_owed_cards(deps: Deps, *, card_id: int | None = None) -> DeliveryRun:
    """Post every card owed a post (or just this one), then the notices that follow; returns
    what happened to the cards. In a terminal preview the cards are rendered, nothing recorded."""
    if deps.poster.is_preview:
        run = DeliveryRun(previewed=preview_cards(deps, card_id=card_id))
        deliver_notices(deps)
        return run
    with transaction(deps.session_factory) as session:
        deliveries.owe_pending_cards(session, now=deps.clock.now(), card_id=card_id)
    run = deliver_due(deps, CARD_RENDERERS, card_id=card_id)
    notices = deliver_notices(deps)
    if notices.sent or notices.failed or notices.retrying:
        logger.info("after the cards, %s", notices.render())
    return run


def preview_cards(deps: Deps, *, card_id: int | None = None) -> int:
    """Render the cards a run with Slack would post (with an escalation's manager notice),
    recording nothing."""
    with deps.session_factory() as session:
        query = select(EscalationCard.id, EscalationCard.recipient_slack_id).where(
            EscalationCard.state == CardState.PENDING,
            EscalationCard.message_ts.is_(None),
            EscalationCard.delivery == CardDelivery.DM.value,
        )
        if card_id is not None:
            query = query.where(EscalationCard.id == card_id)
        owed = list(session.execute(query.order_by(EscalationCard.id)))
        shown = 0
        for each_id, recipient in owed:
            card = cards.get_card(session, card_id=each_id)
            message = render_card(session, card) if card is not None else None
            if message is None:
                continue
            text, blocks = message
            deps.poster.post(channel=recipient, text=text, blocks=blocks, tag=MessageTag(PREVIEW_TAG, each_id))
            shown += 1
            if cards.route_of(session, card_id=each_id) != "escalate":
                continue
            view = load_card_view(session, card_id=each_id)
            manager = manager_slack_id(session, slack_id=recipient)
            if view is not None and manager:
                notice_text, notice_blocks = build_manager_notice(view, csm_slack_id=recipient)
                deps.poster.post(channel=manager, text=notice_text, blocks=notice_blocks)
    return shown
