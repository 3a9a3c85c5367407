"""Post cards to their recipients' DMs, once; their copies and updates follow the same way.

A card (an escalation card or an audit card) is owed a post while it is pending, meant for the
DM and not in Slack yet; the delivery engine (bot.delivery.engine) claims each owed post before
posting, so two cycles at once, a cycle and the scheduler's sweep, or two **Open card** clicks
post a card once. Posting starts the card's escalation ladder (bot.workflows.ladder): an
unanswered card later reaches the manager and the escalation channel as copies of itself
(bot.workflows.card_messages), delivered here too.

Without Slack (the terminal preview) cards are rendered but left unposted: a later run with
Slack posts them, and only a card really in Slack counts as waiting for a decision.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.blocks.audit_card import build_audit_card_message
from bot.blocks.escalation_card import build_manager_notice
from bot.delivery.engine import DeliveryRun, Rendered, Renderer, deliver_due
from bot.delivery.notices import deliver_notices
from bot.deps import Deps
from bot.posting import MessageTag, PostedMessage
from bot.settings import Settings
from bot.workflows import card_messages
from bot.workflows.audit.view import load_audit_view
from bot.workflows.card_views import TREND_HISTORY_DAYS, load_card_view
from storage.db import refresh_planner_statistics, transaction
from storage.enums import CardKind, CardState, DeliveryKind
from storage.models import EscalationCard, SlackDelivery
from storage.repositories import card_batches, cards, deliveries, users

logger = logging.getLogger(__name__)


class CardRenderer:
    """A card is rendered from its current state when posted; once posted it records its
    message, which starts its ladder."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._routes: dict[int, str] = {}  # card id → its signal's route, learnt in `prepare`
        self._batch: card_batches.LoadedCards | None = None  # held while the batch renders

    def prepare(self, session: Session, rows: Sequence[SlackDelivery]) -> None:
        """A batch is about to be rendered: load what its cards render from in a few queries."""
        card_ids = [row.card_id for row in rows if row.card_id is not None]
        self._batch = card_batches.load_cards_for_rendering(
            session, card_ids=card_ids, history_days=TREND_HISTORY_DAYS
        )
        self._routes.update(self._batch.routes)

    def render(self, session: Session, row: SlackDelivery) -> Rendered | str:
        card = cards.get_card(session, card_id=row.card_id or 0)
        if card is None:
            return "the card no longer exists"
        if card.state != CardState.PENDING:
            return f"the card was {card.state} before it was posted"
        if card.message_ts:
            return "the card is already in Slack"
        message = render_card(session, card, self._settings, posting_at=row.claimed_at)
        if message is None:
            return "the card's account or signal no longer exists"
        return Rendered(*message)

    def after_sent(self, session: Session, row: SlackDelivery, posted: PostedMessage, now: datetime) -> None:
        self.after_sent_many(session, [(row, posted)], now)

    def after_sent_many(
        self, session: Session, sent: Sequence[tuple[SlackDelivery, PostedMessage]], now: datetime
    ) -> None:
        """Each card records its message (one executemany); an escalation owes its notice."""
        posted = [(row.card_id or 0, p.channel_id, p.ts) for row, p in sent]
        cards.mark_posted_many(session, posted=posted, now=now)
        for card_id, _, _ in posted:
            route = self._routes.get(card_id) or cards.route_of(session, card_id=card_id)
            if route == "escalate":
                owe_manager_notice(session, card_id=card_id, now=now)


def owe_manager_notice(session: Session, *, card_id: int, now: datetime) -> None:
    """An escalation tells the owner's manager at once (a notice, no buttons), as the design's
    `escalate` route says; the ladder later sends them the card itself if nobody answers."""
    view = load_card_view(session, card_id=card_id)
    if view is None:
        return
    manager = users.manager_of(session, slack_id=view.recipient_slack_id)
    if manager is None:
        return
    text, blocks = build_manager_notice(view, csm_slack_id=view.recipient_slack_id)
    deliveries.owe(
        session,
        rows=[{"key": f"escalation:{card_id}:{manager.slack_id}", "kind": DeliveryKind.ESCALATION_NOTICE.value,
               "recipient": manager.slack_id, "text": text, "blocks": blocks}],
        now=now,
    )  # fmt: skip


def render_card(
    session: Session, card: EscalationCard, settings: Settings, *, posting_at: datetime | None = None
) -> tuple[str, list[dict[str, Any]]] | None:
    """A card's text and blocks from its current state: an escalation card, or an audit card
    (`posting_at`: its first post is being made now)."""
    if card.kind == CardKind.AUDIT:
        audit_view = load_audit_view(session, card_id=card.id)
        return build_audit_card_message(audit_view) if audit_view is not None else None
    return card_messages.render(session, card, settings, posting_at=posting_at)


def card_renderers(settings: Settings) -> dict[DeliveryKind, Renderer]:
    """The first post of a card, its copies (manager, channel, back from a snooze), their updates."""
    return {DeliveryKind.CARD: CardRenderer(settings), **card_messages.renderers(settings)}


# SQLite's statistics from before a cycle wrote its signals say "one row": rendering each card
# then scans every signal (about 0.1 s a card at 10,000 accounts) instead of using the index.
BULK_OWED = 500
RENDERED_FROM = ("signals", "escalation_cards", "drafts", "slack_deliveries")
PREVIEW_TAG = "tandem_card_preview"  # names the card a preview rendered (the demo shows them)


def post_owed_cards(deps: Deps, *, card_id: int | None = None) -> DeliveryRun:
    """Post every card owed a post (or just this one), then the notices that follow; returns
    what happened to the cards. In a terminal preview the cards are rendered, nothing recorded."""
    if deps.poster.is_preview:
        run = DeliveryRun(previewed=preview_cards(deps, card_id=card_id))
        deliver_notices(deps)
        return run
    with transaction(deps.session_factory) as session:
        owed = deliveries.owe_pending_cards(session, now=deps.clock.now(), card_id=card_id)
        if owed >= BULK_OWED:  # a cycle's cards, just written: the planner must know the tables grew
            for table in RENDERED_FROM:
                refresh_planner_statistics(session, table)
    run = deliver_due(deps, {DeliveryKind.CARD: CardRenderer(deps.settings)}, card_id=card_id)
    card_messages.deliver_card_messages(deps, card_id=card_id)  # copies and updates still owed
    notices = deliver_notices(deps)
    if notices.sent or notices.failed or notices.retrying:
        logger.info("after the cards, %s", notices.render())
    return run


def preview_cards(deps: Deps, *, card_id: int | None = None) -> int:
    """Render the cards a run with Slack would post, recording nothing."""
    with deps.session_factory() as session:
        owed = cards.unposted_dm_cards(session, card_id=card_id)
        shown = 0
        for each_id, recipient in owed:
            card = cards.get_card(session, card_id=each_id)
            message = render_card(session, card, deps.settings) if card is not None else None
            if message is None:
                continue
            text, blocks = message
            deps.poster.post(
                channel=recipient, text=text, blocks=blocks, tag=MessageTag(PREVIEW_TAG, each_id)
            )
            shown += 1
    return shown
