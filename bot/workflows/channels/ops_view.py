"""The channels section of ops' App Home: per channel its account, state, what is stored and
until when (bot.blocks.channel_link renders it; times in the viewer's zone)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.blocks.channel_link import CHANNELS_SHOWN, ChannelView, StoredView, ops_channels_section
from bot.workflows.channels.views import retention_days
from storage.enums import ChannelState
from storage.repositories import conversation_channels


def section_blocks(session: Session, *, default_days: int) -> list[dict[str, Any]]:
    """Nothing when Tandem was never added to a Slack Connect channel."""
    counts = conversation_channels.count_by_state(session)
    if not counts:
        return []
    stats = conversation_channels.channel_stats(session, limit=CHANNELS_SHOWN)
    shown = [
        StoredView(
            channel=ChannelView(
                channel_id=s.channel.channel_id,
                name=s.channel.name,
                state=ChannelState(s.channel.state),
                account_id=s.channel.account_id,
                account_name=s.account_name,
                owner_slack_id=s.owner_slack_id,
                match_reason=s.channel.match_reason,
                decided_by=s.channel.decided_by,
                decided_at=s.channel.decided_at,
                retention_days=retention_days(s.channel, default_days),
            ),
            messages=s.messages,
            with_text=s.with_text,
            oldest_text_at=s.oldest_text_at,
            text_kept_until=s.text_kept_until,
        )
        for s in stats
    ]
    return ops_channels_section(shown, counts=counts, hidden=max(0, sum(counts.values()) - len(shown)))
