"""A stored channel as the builders show it (bot.blocks.channel_link)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.blocks.channel_link import ChannelView
from storage.enums import ChannelState
from storage.models import Account, ConversationChannel


def retention_days(row: ConversationChannel, default_days: int) -> int:
    return row.retention_days or default_days


def channel_view(session: Session, row: ConversationChannel, *, default_days: int) -> ChannelView:
    account = session.get(Account, row.account_id) if row.account_id else None
    return ChannelView(
        channel_id=row.channel_id,
        name=row.name,
        state=ChannelState(row.state),
        account_id=row.account_id,
        account_name=account.name if account else None,
        owner_slack_id=account.owner_slack_id if account else None,
        match_reason=row.match_reason,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        retention_days=retention_days(row, default_days),
    )
