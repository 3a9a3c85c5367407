"""Tandem was added to a channel (or a channel it is in became shared): read the channel, classify
its members and match it to an account.

- Not a Slack Connect channel (no external team): ignored, nothing stored.
- Already linked, excluded or waiting for an answer: kept as it is (a re-invite changes nothing;
  an excluded channel stays excluded).
- Named as an account's `shared_channel_id` in accounts.csv: linked at once, decided by
  "accounts.csv" (the company's own data is its confirmation).
- Matched by its external members' email domains: proposed, and the owner gets a confirm card.
- Otherwise unmatched, and ops are told (and see it in App Home).

Slack is read in bounded steps: conversations.members paged up to MAX_MEMBERS, users.info only
for members not classified in the last PERSON_FRESH_DAYS and at most MAX_LOOKUPS per join."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.channel_link import build_proposal_card
from bot.blocks.mrkdwn import escape
from bot.delivery.notices import deliver_notices, owe_notice
from bot.deps import Deps
from bot.workflows.channels.matching import (
    Match,
    Member,
    domains_to_look_up,
    match_members,
    member_from_user,
)
from bot.workflows.channels.views import channel_view
from storage.db import transaction
from storage.enums import AuthorKind, ChannelState, DeliveryKind
from storage.models import Account
from storage.repositories import conversation_channels, conversation_people, deliveries, users
from storage.repositories.conversation_people import Person

logger = logging.getLogger(__name__)

MEMBER_PAGE = 200
MAX_MEMBERS = 1000
MAX_LOOKUPS = 200
PERSON_FRESH_DAYS = 7
CSV_DECIDER = "accounts.csv"
KEPT_ON_REINVITE = frozenset({ChannelState.LINKED, ChannelState.EXCLUDED, ChannelState.PROPOSED})
RE_EVALUATED = (ChannelState.UNMATCHED, ChannelState.UNLINKED)


@dataclass(frozen=True)
class Joined:
    channel_id: str
    outcome: str  # "ignored", "kept", "linked", "proposed", "unmatched", "unreadable"
    reason: str


def proposal_prefix(channel_id: str) -> str:
    return f"channel-proposal:{channel_id}:"


def external_teams(info: Mapping[str, Any], own_team: str | None) -> list[str]:
    """The channel's other organisations (conversations.info's connected and shared team ids)."""
    teams: list[str] = []
    for field in ("connected_team_ids", "shared_team_ids", "pending_connected_team_ids"):
        for team in info.get(field) or []:
            if isinstance(team, str) and team != own_team and team not in teams:
                teams.append(team)
    return teams


def bot_joined(
    deps: Deps, client: WebClient, *, channel_id: str, own_team: str | None, own_enterprise: str | None = None
) -> Joined:
    with deps.session_factory() as session:
        row = conversation_channels.get(session, channel_id=channel_id)
        if row is not None and ChannelState(row.state) in KEPT_ON_REINVITE:
            return Joined(channel_id, "kept", f"already {row.state}")
    try:
        info = client.conversations_info(channel=channel_id)["channel"]
    except SlackApiError as error:
        logger.warning("conversations.info for %s failed: %s", channel_id, error.response.get("error"))
        return Joined(channel_id, "unreadable", "Slack did not show the channel")
    teams = external_teams(info, own_team)
    if not teams and not info.get("is_ext_shared"):
        return Joined(channel_id, "ignored", "not a Slack Connect channel")
    now = deps.clock.now()
    members = read_members(deps, client, channel_id=channel_id, own_team=own_team,
                           own_enterprise=own_enterprise, now=now)  # fmt: skip
    with transaction(deps.session_factory) as session:
        state, match, decided = _decide(session, channel_id=channel_id, members=members)
        values: dict[str, Any] = {
            "channel_id": channel_id,
            "name": str(info.get("name") or "")[:200] or None,
            "is_private": bool(info.get("is_private")),
            "external_team_ids": teams,
            "account_id": match.account_id,
            "state": state.value,
            "match_reason": match.reason,
            "proposed_to": None,
            "decided_by": CSV_DECIDER if decided else None,
            "decided_at": now if decided else None,
        }
        if state is ChannelState.PROPOSED:
            account = session.get(Account, match.account_id)
            values["proposed_to"] = account.owner_slack_id if account else None
        changed = conversation_channels.insert_if_absent(session, values=values, now=now)
        if not changed:
            update = {k: v for k, v in values.items() if k != "channel_id"}
            changed = conversation_channels.move(
                session, channel_id=channel_id, from_states=RE_EVALUATED, values=update, now=now
            )
        if not changed:  # a retry, or someone decided meanwhile
            return Joined(channel_id, "kept", "decided meanwhile")
        _owe_notices(deps, session, channel_id=channel_id, state=state, now=now)
    deliver_notices(deps)
    if state is ChannelState.PROPOSED:
        remember_card(deps, channel_id=channel_id)
    return Joined(channel_id, state.value, match.reason)


def _decide(session: Any, *, channel_id: str, members: list[Member]) -> tuple[ChannelState, Match, bool]:
    """(state, match, decided by accounts.csv)."""
    named = conversation_channels.account_naming_channel(session, channel_id=channel_id)
    if len(named) == 1:
        return (
            ChannelState.LINKED,
            Match(named[0], f"accounts.csv names it as {named[0]}'s shared channel"),
            True,
        )
    if len(named) > 1:
        listed = ", ".join(named[:5])
        return (
            ChannelState.UNMATCHED,
            Match(None, f"accounts.csv names it for several accounts ({listed})"),
            False,
        )
    by_domain = conversation_channels.accounts_by_domain(session, domains=domains_to_look_up(members))
    match = match_members(members, by_domain)
    return (ChannelState.PROPOSED if match.account_id else ChannelState.UNMATCHED), match, False


def _owe_notices(deps: Deps, session: Any, *, channel_id: str, state: ChannelState, now: datetime) -> None:
    row = conversation_channels.get(session, channel_id=channel_id)
    assert row is not None
    view = channel_view(session, row, default_days=deps.settings.conversation_retention_days)
    if state is ChannelState.PROPOSED and view.owner_slack_id:
        text, blocks = build_proposal_card(view)
        owe_notice(session, key=f"{proposal_prefix(channel_id)}{int(now.timestamp())}",
                   kind=DeliveryKind.CHANNEL_PROPOSAL, recipients=[view.owner_slack_id],
                   text=text, blocks=blocks, now=now)  # fmt: skip
    elif state is ChannelState.UNMATCHED:
        text = (
            f"Tandem was added to the Slack Connect channel <#{channel_id}> but could not tell which "
            f"account it belongs to ({escape(row.match_reason or 'no match')}). It listens there only "
            "once it is linked: link it to an account in App Home, or exclude it."
        )
        owe_notice(session, key=f"channel-unmatched:{channel_id}:{int(now.timestamp())}",
                   kind=DeliveryKind.OPS_ALERT, recipients=users.ops_recipients(session), text=text,
                   blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text}}], now=now)  # fmt: skip


def remember_card(deps: Deps, *, channel_id: str) -> None:
    """Record where the owner's card was posted (the newest copy), once it was."""
    with transaction(deps.session_factory) as session:
        posted = deliveries.sent_with_prefix(
            session, kind=DeliveryKind.CHANNEL_PROPOSAL, prefix=proposal_prefix(channel_id)
        )
        if posted and posted[-1].channel_id and posted[-1].message_ts:
            row = conversation_channels.get(session, channel_id=channel_id)
            if row is not None:
                row.proposal_channel, row.proposal_ts = posted[-1].channel_id, posted[-1].message_ts


def read_members(
    deps: Deps, client: WebClient, *, channel_id: str, own_team: str | None, own_enterprise: str | None,
    now: datetime,
) -> list[Member]:  # fmt: skip
    """The channel's members, classified (cached people first, then users.info, bounded)."""
    ids: list[str] = []
    cursor: str | None = None
    while len(ids) < MAX_MEMBERS:
        try:
            page = client.conversations_members(channel=channel_id, limit=MEMBER_PAGE, cursor=cursor)
        except SlackApiError as error:
            logger.warning("conversations.members for %s failed: %s", channel_id, error.response.get("error"))
            break
        ids.extend(str(member) for member in page.get("members") or [])
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            break
    ids = list(dict.fromkeys(ids))[:MAX_MEMBERS]
    with deps.session_factory() as session:
        cached = conversation_people.known(
            session, user_ids=ids, fresh_since=now - timedelta(days=PERSON_FRESH_DAYS)
        )
    members = [Member(p.user_id, p.team_id, p.email, AuthorKind(p.kind)) for p in cached.values()]
    looked_up: list[Member] = []
    for user_id in [i for i in ids if i not in cached][:MAX_LOOKUPS]:
        try:
            user = client.users_info(user=user_id)["user"]
        except SlackApiError as error:
            logger.info("users.info for %s failed: %s", user_id, error.response.get("error"))
            continue
        looked_up.append(member_from_user(user, own_team=own_team, own_enterprise=own_enterprise))
    if looked_up:
        with transaction(deps.session_factory) as session:
            conversation_people.save(
                session,
                people=[Person(m.user_id, m.team_id, m.email, m.kind.value) for m in looked_up],
                now=now,
            )
    return members + looked_up
