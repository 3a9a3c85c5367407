"""Every message a card is in, kept in step with the card: its copies and their updates.

A card starts as one message in its owner's DM. The escalation ladder (bot.workflows.ladder)
posts copies of it to the owner's manager and to the team's escalation channel, and a snoozed
card coming back is posted to its owner again (bot.workflows.snooze). Each copy is the card
itself, rendered from its current state with its decision buttons, plus a line saying where
it has been and a note on why this copy exists; each is a `card_copy` delivery (posted once,
retried, shown to ops if it never gets through), so every copy's (channel, ts) is known.

Whenever the card changes (decided, climbed, snoozed, woken) every copy is owed a
`card_update` delivery keyed by the card's version and the message: a chat.update retried like
any delivery, so no copy keeps offering buttons on a card someone already decided.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.blocks.escalation_card import build_card_message
from bot.blocks.mrkdwn import channel_id, escape
from bot.blocks.slack_dates import slack_time
from bot.delivery.engine import DeliveryRun, Rendered, Renderer, deliver_due
from bot.deps import Deps
from bot.posting import PostedMessage
from bot.settings import Settings
from bot.workflows.card_views import CardView, load_card_view
from bot.working_hours import (
    WorkingHours,
    add_working_time,
    working_day_length,
    working_time_between,
    zone_of,
)
from scoring.config import Attention, TriggerConfig
from storage.db import transaction
from storage.enums import CardState, DeliveryKind, Rung
from storage.models import Draft, EscalationCard, Signal, SlackDelivery
from storage.repositories import attention, card_batches, cards, configs, deliveries, overrides, users

logger = logging.getLogger(__name__)
UPDATE_PREFIX = "card-update"


def attention_config(session: Session) -> Attention:
    """The active trigger configuration's ladder and snooze times (the defaults before any);
    read once per batch of cards rendered in one session (card_batches' prefetch)."""
    prefetch = card_batches.prefetched(session)
    if prefetch is not None and isinstance(prefetch.extra.get("attention"), Attention):
        return prefetch.extra["attention"]  # type: ignore[return-value]
    row = configs.active_config(session)
    found = TriggerConfig.model_validate(row.body).attention if row is not None else Attention()
    if prefetch is not None:
        prefetch.extra["attention"] = found
    return found


def card_view(
    session: Session,
    card: EscalationCard,
    settings: Settings,
    *,
    note: str = "",
    posting_at: datetime | None = None,
) -> CardView | None:
    """The card as every copy shows it: its state, where it has climbed, whether it sleeps.
    `posting_at`: the card is being posted for the first time now (its ladder starts then)."""
    view = load_card_view(session, card_id=card.id)
    if view is None:
        return None
    config = attention_config(session)
    lines = attention_lines(session, card, view.route, settings, config, posting_at=posting_at)
    return replace(view, attention=lines, asleep=card.snooze_mode is not None, note=note)


def render(
    session: Session,
    card: EscalationCard,
    settings: Settings,
    *,
    note: str = "",
    posting_at: datetime | None = None,
) -> tuple[str, list[dict[str, Any]]] | None:
    view = card_view(session, card, settings, note=note, posting_at=posting_at)
    return build_card_message(view) if view is not None else None


def attention_lines(
    session: Session,
    card: EscalationCard,
    route: str,
    settings: Settings,
    config: Attention,
    *,
    posting_at: datetime | None = None,
) -> tuple[str, ...]:
    """mrkdwn lines: the snooze, the rung reached and since when, what happens next."""
    owner = card.recipient_slack_id
    manager = users.manager_of(session, slack_id=owner)
    pending = card.state == CardState.PENDING
    if pending and card.snooze_mode is not None:
        who = f"<@{card.snoozed_by}>" if card.snoozed_by else "someone"
        wakes = (
            f"the account's health falls {config.snooze_wake_points} points below {card.snooze_score}"
            if card.snooze_score is not None
            else "the account gets worse"
        )
        until = f"until {slack_time(card.snoozed_until)}" if card.snoozed_until else "until it gets worse"
        return (f"💤 Snoozed by {who} {until}: it comes back at once if {wakes} or a new trigger fires.",)
    since = card.ladder_since or posting_at
    if since is None:
        return ()
    owner_user = users.get_user(session, slack_id=owner)
    zone = zone_of(owner_user.timezone if owner_user else None)
    if card.rung == Rung.OWNER:
        if not pending or route != "escalate":
            return ()
        if manager is not None:
            due = manager_due(since, route, zone, settings.hours, config)
            return (f"⏳ Unanswered, it goes to <@{manager.slack_id}> {slack_time(due)}.",)
        if settings.escalation_channel:
            due = since + timedelta(hours=config.escalate_channel_hours)
            where = _channel(settings.escalation_channel)
            return (
                f"⏳ <@{owner}> has no manager in Tandem: unanswered, it goes to {where} {slack_time(due)}.",
            )
        return (
            f"<@{owner}> has no manager in Tandem and no escalation channel is set (TANDEM_ESCALATION_CHANNEL): this card climbs nowhere.",
        )
    waited = working_time_between(since, card.climbed_at or since, zone, settings.hours)
    line = f"Waiting {_working(waited, settings)} since {slack_time(since)}"
    if card.rung == Rung.REMINDED:
        return (f"⏰ {line} · reminded in <@{owner}>'s digest {slack_time(card.climbed_at or since)}",)
    if card.rung == Rung.MANAGER:
        lines = [
            f"⏫ {line} · sent to <@{manager.slack_id if manager else '?'}> {slack_time(card.climbed_at or since)}"
        ]
        if pending and route == "escalate" and not settings.escalation_channel:
            lines.append(
                "No escalation channel is set (TANDEM_ESCALATION_CHANNEL): this card climbs no further."
            )
        return tuple(lines)
    people = " or ".join(
        f"<@{person}>" for person in (owner, manager.slack_id if manager else None) if person
    )
    hours = (card.climbed_at or since) - since
    return (
        f"🚨 Waiting {_hours(hours)} since {slack_time(since)} · posted in {_channel(settings.escalation_channel)} "
        f"{slack_time(card.climbed_at or since)}: no answer from {people}",
    )


def manager_due(
    since: datetime, route: str, zone: ZoneInfo, hours: WorkingHours, config: Attention
) -> datetime:
    """When an unanswered card is due at the owner's manager: `escalate` after
    `escalate_manager_working_hours`, `human` / `assist` after `human_manager_working_days`,
    of the owner's working time (pure)."""
    if route == "escalate":
        wait = timedelta(hours=config.escalate_manager_working_hours)
    else:
        wait = config.human_manager_working_days * working_day_length(hours)
    return add_working_time(since, wait, zone, hours)


def _working(waited: timedelta, settings: Settings) -> str:
    day = working_day_length(settings.hours)
    if waited >= day and waited % day < timedelta(minutes=1):
        days = round(waited / day)
        return f"{days} working day{'s' if days != 1 else ''}"
    hours = round(waited.total_seconds() / 3600, 1)
    return f"{hours:g} working hour{'s' if hours != 1 else ''}"


def _hours(span: timedelta) -> str:
    hours = round(span.total_seconds() / 3600, 1)
    return f"{hours:g} hour{'s' if hours != 1 else ''}"


def _channel(setting: str | None) -> str:
    if not setting:
        return "the escalation channel"
    found = channel_id(setting)
    return f"<#{found}>" if found else escape(setting)


def owe_copy(
    session: Session, *, card: EscalationCard, key: str, recipient: str, note: str, now: datetime
) -> None:
    """A copy of the card for `recipient` (a user's DM or a channel), owed once per `key`."""
    row = {
        "key": key,
        "kind": DeliveryKind.CARD_COPY.value,
        "recipient": recipient,
        "card_id": card.id,
        "text": note,
    }
    deliveries.owe(session, rows=[row], now=now)


def owe_updates(session: Session, *, card_id: int, now: datetime) -> int:
    """Every message the card is in owes an update to the card's current state (once per
    version and message). Returns how many messages are owed one."""
    card = cards.get_card(session, card_id=card_id)
    if card is None:
        return 0
    found = attention.copies(session, card_id=card_id)
    rows = [
        {
            "key": f"{UPDATE_PREFIX}:{card_id}:v{card.version}:{copy.channel}:{copy.ts}",
            "kind": DeliveryKind.CARD_UPDATE.value,
            "recipient": copy.channel,
            "card_id": card_id,
            "text": copy.note,
        }
        for copy in found
    ]
    deliveries.owe(session, rows=rows, now=now)
    return len(rows)


class CopyRenderer:
    """A copy is rendered from the card's state when posted; a card decided or asleep by then
    is owed no copy (its other messages were updated)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def render(self, session: Session, row: SlackDelivery) -> Rendered | str:
        card = cards.get_card(session, card_id=row.card_id or 0)
        if card is None:
            return "the card no longer exists"
        if card.state != CardState.PENDING:
            return f"the card was {card.state} before this copy was posted"
        if card.snooze_mode is not None:
            return "the card was snoozed before this copy was posted"
        message = render(session, card, self._settings, note=row.text)
        return Rendered(*message) if message is not None else "the card's account or signal no longer exists"

    def after_sent(self, session: Session, row: SlackDelivery, posted: PostedMessage, now: datetime) -> None:
        card = cards.get_card(session, card_id=row.card_id or 0)
        if card is not None and (card.state != CardState.PENDING or card.snooze_mode is not None):
            owe_updates(session, card_id=card.id, now=now)  # it changed while this copy was in flight


class UpdateRenderer:
    """An update shows the card's current state in one message (its key names the message)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def render(self, session: Session, row: SlackDelivery) -> Rendered | str:
        ts = row.key.rsplit(":", 1)[-1]
        card = cards.get_card(session, card_id=row.card_id or 0)
        if card is None:
            return "the card no longer exists"
        message = render(session, card, self._settings, note=row.text)
        if message is None:
            return "the card's account or signal no longer exists"
        return Rendered(*message, update_ts=ts)

    def after_sent(self, session: Session, row: SlackDelivery, posted: PostedMessage, now: datetime) -> None:
        return None


def renderers(settings: Settings) -> dict[DeliveryKind, Renderer]:
    return {
        DeliveryKind.CARD_COPY: CopyRenderer(settings),
        DeliveryKind.CARD_UPDATE: UpdateRenderer(settings),
    }


def deliver_card_messages(deps: Deps, *, card_id: int | None = None) -> DeliveryRun:
    """Post the copies and make the updates owed now (of one card, or all); a terminal preview
    leaves them owed for a run with Slack."""
    if deps.poster.is_preview:
        return DeliveryRun()
    run = deliver_due(deps, renderers(deps.settings), card_id=card_id)
    if run.failed or run.retrying:
        logger.warning("card copies and updates: %s", run.render())
    return run


def owe_and_deliver_updates(deps: Deps, *, card_id: int) -> DeliveryRun:
    """After a change made outside this module's transactions: owe every copy its update, deliver."""
    with transaction(deps.session_factory) as session:
        owe_updates(session, card_id=card_id, now=deps.clock.now())
    return deliver_card_messages(deps, card_id=card_id)


def log_step(session: Session, *, card_id: int, action: str, actor: str, now: datetime, reason: str) -> None:
    """The override log's row for what happened to a waiting card (a climb, a snooze, a wake):
    scoring.learning.types.NOT_DECISIONS, never counted as a decision."""
    card = cards.get_card(session, card_id=card_id)
    signal = session.get(Signal, card.signal_id) if card is not None and card.signal_id else None
    if card is None or signal is None:
        return
    draft = session.get(Draft, card.draft_id) if card.draft_id else None
    overrides.record_override(
        session, card=card, signal=signal, draft=draft, action=action, actor=actor, now=now, reason=reason
    )


def remind_in_digest(session: Session, *, recipient: str, now: datetime) -> list[int]:
    """The human and assist cards the recipient's digest (owed now) reminds them of climb to
    "reminded", each logged and shown on its messages. Returns the cards reminded."""
    reminded = attention.remind(session, recipient=recipient, posted_before=now, now=now)
    for card_id in reminded:
        log_step(
            session,
            card_id=card_id,
            action="reminded",
            actor="tandem",
            now=now,
            reason="reminded in the owner's digest",
        )
        owe_updates(session, card_id=card_id, now=now)
    return reminded
