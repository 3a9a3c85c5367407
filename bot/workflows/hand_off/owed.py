"""The hand-off packet owed by a take-over, in the same transaction as the decision.

It goes in the thread of the message that was clicked (the card in the owner's DM, or a copy
the ladder posted to the manager or the escalation channel), else of the card's own message,
else (a card never posted) to the taker's DM. One row per card, keyed
`handoff:<card id>[:<thread ts>]`: only the take-over that won the card's guarded update owes
it, so a second click, a retry or a colleague's click owes nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from storage.enums import DeliveryKind
from storage.models import EscalationCard
from storage.repositories import deliveries

KEY_PREFIX = "handoff:"


@dataclass(frozen=True)
class ClickedMessage:
    """Where a button was clicked: a message's channel and ts."""

    channel_id: str
    ts: str


def packet_key(card_id: int, thread_ts: str | None) -> str:
    return f"{KEY_PREFIX}{card_id}" + (f":{thread_ts}" if thread_ts else "")


def thread_of(key: str) -> str | None:
    """The thread ts a packet's key names, if any."""
    parts = key.removeprefix(KEY_PREFIX).split(":", 1)
    return parts[1] if len(parts) == 2 and parts[1] else None


def owe_packet(
    session: Session, *, card: EscalationCard, taker: str, clicked: ClickedMessage | None, now: datetime
) -> None:
    if clicked is not None and clicked.channel_id and clicked.ts:
        channel, thread = clicked.channel_id, clicked.ts
    elif card.channel_id and card.message_ts:
        channel, thread = card.channel_id, card.message_ts
    else:
        channel, thread = taker, None
    row = {
        "key": packet_key(card.id, thread),
        "kind": DeliveryKind.HAND_OFF.value,
        "recipient": channel,
        "card_id": card.id,
        "text": f"Hand-off packet for card #{card.id}",  # rendered from the account when posted
    }
    deliveries.owe(session, rows=[row], now=now)
