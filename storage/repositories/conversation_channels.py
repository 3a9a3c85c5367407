"""Slack Connect channels Tandem was invited to, and their link to an account.

Every change of a channel's state is a guarded UPDATE (`WHERE state IN (...)`, and for a
proposal's answer `AND account_id = ...`), so a second click, a Slack retry or two people at
once change a channel once; the caller acts only when a row changed.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, or_, select, update
from sqlalchemy.orm import Session

from storage.enums import ChannelState
from storage.models import Account, ConversationChannel, ConversationMessage
from storage.repositories.bulk import insert_ignoring_duplicates

CHANNELS = cast(Table, ConversationChannel.__table__)


def get(session: Session, *, channel_id: str) -> ConversationChannel | None:
    return session.get(ConversationChannel, channel_id)


def insert_if_absent(session: Session, *, values: dict[str, Any], now: datetime) -> bool:
    """A new channel row; False (nothing written) when the channel is already known."""
    row = {"external_team_ids": [], "is_private": False, "created_at": now, "updated_at": now} | values
    statement = insert_ignoring_duplicates(session, CHANNELS, ("channel_id",))
    result = session.connection().execute(statement, [row])
    return bool(result.rowcount)


def move(
    session: Session,
    *,
    channel_id: str,
    from_states: Collection[ChannelState],
    values: dict[str, Any],
    now: datetime,
    account_id: str | None = None,
) -> bool:
    """Set `values` (a new `state` among them) when the channel is in one of `from_states` (and,
    with `account_id`, still proposed for that account); True when it changed."""
    statement = (
        update(ConversationChannel)
        .where(ConversationChannel.channel_id == channel_id)
        .where(ConversationChannel.state.in_([str(s) for s in from_states]))
    )
    if account_id is not None:
        statement = statement.where(ConversationChannel.account_id == account_id)
    result = session.execute(
        statement.values(**values, updated_at=now).execution_options(synchronize_session=False)
    )
    changed = bool(getattr(result, "rowcount", 0))
    if changed:
        session.expire_all()
    return changed


def accounts_by_domain(session: Session, *, domains: Collection[str]) -> dict[str, list[str]]:
    """domain -> the ids of the accounts with that email domain (lower-case), for these domains."""
    found: dict[str, list[str]] = {}
    if not domains:
        return found
    rows = session.execute(
        select(func.lower(Account.domain), Account.account_id)
        .where(func.lower(Account.domain).in_(sorted(domains)))
        .order_by(Account.account_id)
    )
    for domain, account_id in rows:
        found.setdefault(str(domain), []).append(str(account_id))
    return found


def account_naming_channel(session: Session, *, channel_id: str) -> list[str]:
    """The accounts whose accounts.csv row names this channel as `shared_channel_id`."""
    return list(
        session.scalars(
            select(Account.account_id)
            .where(Account.shared_channel_id == channel_id)
            .order_by(Account.account_id)
        )
    )


@dataclass(frozen=True)
class ChannelStats:
    """What is stored for one channel: messages, how many still hold text, the oldest text and
    the date the next text is due to go."""

    channel: ConversationChannel
    account_name: str | None
    owner_slack_id: str | None
    messages: int
    with_text: int
    oldest_text_at: datetime | None
    text_kept_until: datetime | None  # the latest keep_text_until among texts still held


def channel_stats(session: Session, *, limit: int) -> list[ChannelStats]:
    """Known channels (unmatched and proposed first, then by name), at most `limit`, each with
    what is stored of it (counted for the channels shown only, through the (channel, ts) index)."""
    order_first = or_(
        ConversationChannel.state == ChannelState.UNMATCHED,
        ConversationChannel.state == ChannelState.PROPOSED,
    )
    rows = list(
        session.execute(
            select(ConversationChannel, Account.name, Account.owner_slack_id)
            .outerjoin(Account, Account.account_id == ConversationChannel.account_id)
            .order_by(order_first.desc(), ConversationChannel.name, ConversationChannel.channel_id)
            .limit(limit)
        )
    )
    ids = [channel.channel_id for channel, _, _ in rows]
    has_text = ConversationMessage.text.is_not(None)
    counts = {
        channel_id: (messages, with_text, oldest, until)
        for channel_id, messages, with_text, oldest, until in session.execute(
            select(
                ConversationMessage.channel_id,
                func.count(),
                func.count(ConversationMessage.text),
                func.min(ConversationMessage.posted_at).filter(has_text),
                func.max(ConversationMessage.keep_text_until).filter(has_text),
            )
            .where(ConversationMessage.channel_id.in_(ids))
            .group_by(ConversationMessage.channel_id)
        )
    }
    stats = []
    for channel, name, owner in rows:
        messages, with_text, oldest, until = counts.get(channel.channel_id, (0, 0, None, None))
        stats.append(ChannelStats(channel, name, owner, int(messages), int(with_text), oldest, until))
    return stats


def count_by_state(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(ConversationChannel.state, func.count()).group_by(ConversationChannel.state)
    )
    return {str(state): int(count) for state, count in rows}


def linked_ids(session: Session) -> Sequence[str]:
    return list(
        session.scalars(
            select(ConversationChannel.channel_id).where(ConversationChannel.state == ChannelState.LINKED)
        )
    )
