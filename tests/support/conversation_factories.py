"""Rows of a linked Slack Connect channel for tests: the channel, its people, its messages
(analysed as the listener stores them: tone, question, topics by scoring.conversation_text)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from scoring.config import Conversations
from scoring.conversation_text import analyse
from storage.enums import AuthorKind, ChannelState
from storage.models import ConversationChannel, ConversationMessage, ConversationPerson

CHANNEL = "C0ACMESHR"
CUSTOMER, CHAMPION, INTERNAL = "U0CUST001", "U0CHAMP01", "U0CSM001"
CUSTOMER_TEAM, OUR_TEAM = "T0ACME", "T0TANDEM"


def link_channel(
    session: Session,
    *,
    account_id: str = "ACC-1",
    channel_id: str = CHANNEL,
    linked_at: datetime = datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
    state: ChannelState = ChannelState.LINKED,
) -> ConversationChannel:
    channel = ConversationChannel(
        channel_id=channel_id, name=f"shared-{account_id.lower()}", external_team_ids=[CUSTOMER_TEAM],
        account_id=account_id, state=state.value, decided_by=INTERNAL, decided_at=linked_at,
        created_at=linked_at, updated_at=linked_at,
    )  # fmt: skip
    session.add(channel)
    session.flush()
    return channel


def add_person(
    session: Session, user_id: str, *, email: str | None, kind: AuthorKind = AuthorKind.CUSTOMER
) -> ConversationPerson:
    person = ConversationPerson(
        user_id=user_id, team_id=OUR_TEAM if kind is AuthorKind.INTERNAL else CUSTOMER_TEAM, email=email,
        kind=kind.value, updated_at=datetime(2026, 1, 5, tzinfo=UTC),
    )  # fmt: skip
    session.add(person)
    session.flush()
    return person


def add_message(
    session: Session,
    text: str,
    *,
    posted_at: datetime,
    account_id: str = "ACC-1",
    channel_id: str = CHANNEL,
    user_id: str = CUSTOMER,
    kind: AuthorKind = AuthorKind.CUSTOMER,
    answered_at: datetime | None = None,
    rules: Conversations | None = None,
    deleted: bool = False,
    keep_days: int = 90,
    purged: bool = False,
) -> ConversationMessage:
    """One stored message, analysed as the listener does; `purged`: its text is gone after the
    retention period, what was derived from it stays."""
    analysis = analyse(text, rules or Conversations())
    customer = kind is AuthorKind.CUSTOMER
    message = ConversationMessage(
        channel_id=channel_id, ts=f"{posted_at.timestamp():.6f}", account_id=account_id, user_id=user_id,
        author_kind=kind.value, posted_at=posted_at, text=None if purged else text,
        keep_text_until=posted_at + timedelta(days=keep_days),
        text_purged_at=posted_at + timedelta(days=keep_days) if purged else None,
        deleted_at=posted_at + timedelta(minutes=5) if deleted else None,
        tone=analysis.tone,
        is_question=customer and analysis.is_question,
        topics=list(analysis.topics) if customer else [], answered_at=answered_at, received_at=posted_at,
    )  # fmt: skip
    session.add(message)
    session.flush()
    return message
