"""People's decisions on a channel's link: Link, Not this account, Exclude, Unlink (the owner's
card, or ops' App Home), and ops' Link to an account (the modal).

Who may: the owner of the channel's account, or ops and admin; a channel linked to no account,
ops and admin only. Each is one guarded update (from the states it may leave, and for an answer
to a proposal, only while the channel is still proposed for that account), so a second click
changes nothing and shows who decided. Exclude purges the channel's stored text at once; Unlink
keeps it until its retention date (bot.workflows.channels.retention)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.blocks.channel_link import ChannelView, build_proposal_card, decided_line
from bot.delivery.notices import alert_ops
from bot.deps import Deps
from bot.ids import ChannelLinkAction
from bot.slack_payloads import MalformedRequest
from bot.workflows.channels.joining import proposal_prefix
from bot.workflows.channels.retention import purge_channel
from bot.workflows.channels.views import channel_view
from bot.workflows.refused import Refused
from storage.db import transaction
from storage.enums import ChannelState, DeliveryKind
from storage.models import Account, ConversationChannel, User
from storage.repositories import conversation_channels, deliveries, users
from storage.repositories.accounts import find_accounts

logger = logging.getLogger(__name__)

NOT_ALLOWED = "Only the account's owner, ops or an admin can decide on this channel. Nothing was changed."
NOT_OPS = "Only ops and admins can link a channel to an account they choose. Nothing was changed."
UNKNOWN = Refused("Tandem does not know this channel (it was never invited there). Nothing was changed.")
S = ChannelState
# Each action: the states it may leave, the state it leads to, and whether it answers a proposal
# for the account named in the button (so a stale card cannot act on a re-linked channel).
MOVES: dict[ChannelLinkAction, tuple[frozenset[ChannelState], ChannelState]] = {
    ChannelLinkAction.LINK: (frozenset({S.PROPOSED, S.UNLINKED}), S.LINKED),
    ChannelLinkAction.NOT_THIS: (frozenset({S.PROPOSED}), S.UNMATCHED),
    ChannelLinkAction.EXCLUDE: (frozenset({S.PROPOSED, S.LINKED, S.UNLINKED, S.UNMATCHED}), S.EXCLUDED),
    ChannelLinkAction.UNLINK: (frozenset({S.LINKED}), S.UNLINKED),
}


@dataclass(frozen=True)
class ChannelOutcome:
    view: ChannelView
    changed: bool  # False: decided before (a second click, a colleague first)
    purged: int = 0

    @property
    def message(self) -> str:
        if self.changed:
            extra = f" The text of {self.purged} stored messages was purged." if self.purged else ""
            return f"Done: <#{self.view.channel_id}> is now {self.view.state.value}.{extra}"
        return (
            f"Already decided: <#{self.view.channel_id}> is {self.view.state.value}"
            f"{decided_line(self.view)}. Nothing was changed."
        )


def parse_value(value: str) -> tuple[str, str | None]:
    """ "C…" or "C…|ACC-1" (what Tandem put in the button)."""
    channel, _, account = value.partition("|")
    if not channel or len(channel) > 32 or len(account) > 64 or not channel.isalnum():
        raise MalformedRequest("not one of Tandem's channel buttons")
    return channel, account or None


def may_decide(session: Session, row: ConversationChannel, actor: str) -> bool:
    user = session.get(User, actor)
    if user is None:
        return False
    if user.role in users.ANY_ACCOUNT_ROLES:
        return True
    account = session.get(Account, row.account_id) if row.account_id else None
    return account is not None and account.owner_slack_id == actor


def decide(deps: Deps, *, action: ChannelLinkAction, value: str, actor: str) -> ChannelOutcome | Refused:
    channel_id, account_id = parse_value(value)
    from_states, to_state = MOVES[action]
    now = deps.clock.now()
    with transaction(deps.session_factory) as session:
        row = conversation_channels.get(session, channel_id=channel_id)
        if row is None:
            return UNKNOWN
        if not may_decide(session, row, actor):
            return Refused(NOT_ALLOWED)
        values: dict[str, Any] = {"state": to_state.value, "decided_by": actor, "decided_at": now}
        if action is ChannelLinkAction.NOT_THIS:
            values |= {"account_id": None, "match_reason": f"not {row.account_id}, said its owner or ops"}
        guard_account = account_id if action in (ChannelLinkAction.LINK, ChannelLinkAction.NOT_THIS) else None
        if action is ChannelLinkAction.LINK and account_id is None:
            return Refused("That button names no account: link it from App Home. Nothing was changed.")
        changed = conversation_channels.move(
            session, channel_id=channel_id, from_states=from_states, values=values, now=now,
            account_id=guard_account,
        )  # fmt: skip
        row = conversation_channels.get(session, channel_id=channel_id)
        assert row is not None
        view = channel_view(session, row, default_days=deps.settings.conversation_retention_days)
    purged = purge_channel(deps, channel_id=channel_id) if changed and to_state is S.EXCLUDED else 0
    if changed:
        logger.info("channel %s %s by %s", channel_id, to_state.value, actor)
    if changed and to_state is S.UNMATCHED:  # ops link it to the right account (App Home)
        alert_ops(
            deps,
            key=f"channel-not-this:{channel_id}:{int(now.timestamp())}",
            text=f"The Slack Connect channel #{view.name or channel_id} is not {account_id}'s, said "
            f"{actor}. Tandem does not listen there until ops link it to an account in App Home.",
        )
    return ChannelOutcome(view, changed, purged)


def open_link_modal(deps: Deps, *, channel_id: str, actor: str) -> ChannelView | Refused:
    with deps.session_factory() as session:
        if not users.is_ops_or_admin(session, slack_id=actor):
            return Refused(NOT_OPS)
        row = conversation_channels.get(session, channel_id=channel_id)
        if row is None:
            return UNKNOWN
        return channel_view(session, row, default_days=deps.settings.conversation_retention_days)


def find_account_error(deps: Deps, *, query: str) -> str | None:
    """The modal's field error for what ops typed, or None when it names one account."""
    with deps.session_factory() as session:
        found = _resolve(session, query)
    return found if isinstance(found, str) else None


def _resolve(session: Session, query: str) -> Account | str:
    typed = " ".join(query.split())
    if not typed:
        return "Type the account's id (e.g. ACC-00042) or its exact name."
    match = find_accounts(session, query=typed, owners=None)
    exact = match.exact
    if exact is not None and typed.lower() in (exact.account_id.lower(), exact.name.lower()):
        return exact
    candidates = [exact] if exact is not None else list(match.candidates)  # a prefix is only a hint
    closest = ", ".join(f"{a.name} ({a.account_id})" for a in candidates[:3])
    hint = f" Closest: {closest}." if closest else " Type its id, e.g. ACC-00042."
    return f"No account is called “{typed[:60]}”.{hint}"[:150]


def link_to_account(deps: Deps, *, channel_id: str, query: str, actor: str) -> ChannelOutcome | Refused:
    """Ops link a channel to the account they named (from any state but linked to that account)."""
    now = deps.clock.now()
    with transaction(deps.session_factory) as session:
        if not users.is_ops_or_admin(session, slack_id=actor):
            return Refused(NOT_OPS)
        row = conversation_channels.get(session, channel_id=channel_id)
        if row is None:
            return UNKNOWN
        account = _resolve(session, query)
        if isinstance(account, str):
            return Refused(f"{account} Nothing was changed.")
        values: dict[str, Any] = {
            "state": S.LINKED.value, "account_id": account.account_id, "decided_by": actor, "decided_at": now,
            "match_reason": f"linked to {account.account_id} by ops",
        }  # fmt: skip
        if row.state == S.LINKED and row.account_id == account.account_id:
            changed = False
        elif row.state == S.LINKED:  # to another account: only while still linked to the old one
            changed = conversation_channels.move(session, channel_id=channel_id, from_states={S.LINKED},
                                                 values=values, now=now, account_id=row.account_id)  # fmt: skip
        else:
            changed = conversation_channels.move(
                session, channel_id=channel_id, from_states=set(S) - {S.LINKED}, values=values, now=now
            )
        row = conversation_channels.get(session, channel_id=channel_id)
        assert row is not None
        view = channel_view(session, row, default_days=deps.settings.conversation_retention_days)
    return ChannelOutcome(view, changed)


def update_cards(
    deps: Deps, client: WebClient, view: ChannelView, *, also: tuple[str, str] | None = None
) -> None:
    """Re-render every posted copy of the channel's card in place (and `also`: the clicked one)."""
    with deps.session_factory() as session:
        posted = deliveries.sent_with_prefix(
            session, kind=DeliveryKind.CHANNEL_PROPOSAL, prefix=proposal_prefix(view.channel_id)
        )
        places: set[tuple[str, str]] = {
            (d.channel_id, d.message_ts) for d in posted if d.channel_id and d.message_ts
        }
    if also is not None:
        places.add(also)
    text, blocks = build_proposal_card(view)
    for channel, ts in sorted(places):
        try:
            client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        except SlackApiError as error:
            logger.warning("could not update a channel card in %s: %s", channel, error.response.get("error"))
