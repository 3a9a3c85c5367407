"""Post a new card to its recipient's DM (and, for escalations, notify their manager)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from bot.blocks.escalation_card import build_card_message, build_manager_notice
from bot.posting import MessagePoster, PostedMessage
from bot.workflows.card_views import load_card_view, manager_slack_id
from storage.repositories import cards

logger = logging.getLogger(__name__)


def post_new_card(
    session: Session, *, poster: MessagePoster, card_id: int, now: datetime
) -> PostedMessage | None:
    """Post once: a card that already has a Slack message is left alone (None)."""
    card = cards.get_card(session, card_id=card_id)
    if card is None or card.message_ts:
        return None
    view = load_card_view(session, card_id=card_id)
    if view is None:
        return None
    text, blocks = build_card_message(view)
    posted = poster.post(channel=card.recipient_slack_id, text=text, blocks=blocks)
    cards.mark_posted(session, card_id=card_id, channel_id=posted.channel_id, message_ts=posted.ts, now=now)
    if view.route == "escalate":
        manager = manager_slack_id(session, slack_id=card.recipient_slack_id)
        if manager:
            notice_text, notice_blocks = build_manager_notice(view, csm_slack_id=card.recipient_slack_id)
            try:
                poster.post(channel=manager, text=notice_text, blocks=notice_blocks)
            except Exception:
                # The card itself is posted: failing here would roll back `mark_posted` and
                # post the CSM's card twice on the next run. The notice is logged instead.
                logger.exception("card %s: the escalation notice to manager %s failed", card_id, manager)
    return posted
