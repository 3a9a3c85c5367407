"""Slack Connect channels in Slack: the owner's confirm card ("Link #channel to *Account*?"),
rendered from the channel's state so a decision re-renders it in place with who decided and
when; ops' channels section of App Home (per channel: account, state, what is stored and until
when, its buttons); the modal in which ops names the account for a channel. Pure builders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.blocks.mrkdwn import escape, truncate
from bot.blocks.slack_dates import DATE_ONLY, slack_time
from bot.ids import ChannelLinkAction, ChannelLinkBlock, ChannelLinkModal
from storage.enums import ChannelState

CHANNELS_SHOWN = 8  # two blocks each in ops' App Home
SECTION_LIMIT = 3000


@dataclass(frozen=True)
class ChannelView:
    channel_id: str
    name: str | None
    state: ChannelState
    account_id: str | None
    account_name: str | None
    owner_slack_id: str | None
    match_reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    retention_days: int


@dataclass(frozen=True)
class StoredView:
    """What ops' App Home shows of one channel's messages."""

    channel: ChannelView
    messages: int
    with_text: int
    oldest_text_at: datetime | None
    text_kept_until: datetime | None


def channel_ref(view: ChannelView) -> str:
    """`<#C…>` (Slack shows the name to members) with the stored name as a fallback hint."""
    return f"<#{view.channel_id}>" + (f" (#{escape(view.name)})" if view.name else "")


def account_ref(view: ChannelView) -> str:
    if view.account_id is None:
        return "no account"
    return f"*{escape(view.account_name or view.account_id)}* ({escape(view.account_id)})"


def button_value(view: ChannelView) -> str:
    return f"{view.channel_id}|{view.account_id}" if view.account_id else view.channel_id


def decided_line(view: ChannelView) -> str:
    who = (
        f"<@{view.decided_by}>" if view.decided_by and view.decided_by[0] in "UW" else (view.decided_by or "")
    )
    when = f" on {slack_time(view.decided_at)}" if view.decided_at else ""
    return f" by {who}{when}" if who else when


def state_text(view: ChannelView) -> str:
    """The card's words for the channel's state."""
    channel, account = channel_ref(view), account_ref(view)
    if view.state is ChannelState.PROPOSED:
        why = f"\n_Why: {escape(view.match_reason)}._" if view.match_reason else ""
        return f"Tandem was added to {channel}, a Slack Connect channel.\n*Link it to {account}?*{why}"
    if view.state is ChannelState.LINKED:
        return (
            f"✅ {channel} is linked to {account}{decided_line(view)}. Its customers' messages "
            f"become signals; their text is kept {view.retention_days} days."
        )
    if view.state is ChannelState.UNLINKED:
        return (
            f"⏸️ {channel} was unlinked from {account}{decided_line(view)}. Nothing new is stored; "
            "text already stored goes at its retention date."
        )
    if view.state is ChannelState.EXCLUDED:
        return (
            f"🚫 {channel} is excluded{decided_line(view)}: Tandem never listens there, even if "
            "invited again. Its stored text was purged."
        )
    reason = f" ({escape(view.match_reason)})" if view.match_reason else ""
    return f"❔ {channel} is linked to no account{decided_line(view)}{reason}. Ops can link it from App Home."


def card_buttons(view: ChannelView, *, ops: bool = False) -> list[ButtonElement]:
    """The buttons the channel's state offers (`ops`: App Home's extra ones)."""
    value = button_value(view)
    exclude = ButtonElement(
        text="Exclude", action_id=ChannelLinkAction.EXCLUDE, value=value, style="danger",
        confirm=ConfirmObject(
            title="Exclude this channel?",
            text="Tandem will never listen there, even if invited again, and its stored text is purged now.",
            confirm="Exclude", deny="Cancel", style="danger",
        ),
    )  # fmt: skip
    buttons: list[ButtonElement] = []
    if view.state is ChannelState.PROPOSED:
        buttons = [
            ButtonElement(text="Link", action_id=ChannelLinkAction.LINK, value=value, style="primary"),
            ButtonElement(text="Not this account", action_id=ChannelLinkAction.NOT_THIS, value=value),
            exclude,
        ]
    elif view.state is ChannelState.LINKED:
        buttons = [ButtonElement(text="Unlink", action_id=ChannelLinkAction.UNLINK, value=value), exclude]
    elif view.state is ChannelState.UNLINKED and view.account_id:
        buttons = [ButtonElement(text="Link again", action_id=ChannelLinkAction.LINK, value=value), exclude]
    elif view.state is ChannelState.UNMATCHED and ops:
        buttons = [exclude]
    if ops and view.state is not ChannelState.PROPOSED:
        choose = ButtonElement(
            text="Link to an account…", action_id=ChannelLinkAction.CHOOSE_ACCOUNT, value=view.channel_id
        )
        buttons.insert(0, choose)
    return buttons


def build_proposal_card(view: ChannelView) -> tuple[str, list[dict[str, Any]]]:
    """The owner's card: (fallback text, blocks)."""
    blocks: list[dict[str, Any]] = [
        SectionBlock(text=MarkdownTextObject(text=truncate(state_text(view), SECTION_LIMIT))).to_dict()
    ]
    if view.state is ChannelState.PROPOSED:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text="*Link*: the customer's messages there become health signals for this account "
                        f"(text kept {view.retention_days} days, then only the signals). *Not this account*: "
                        "ops links it to the right one. *Exclude*: Tandem never listens there."
                    )
                ]
            ).to_dict()
        )
    buttons = card_buttons(view)
    if buttons:
        blocks.append(ActionsBlock(block_id=ChannelLinkBlock.ACTIONS, elements=buttons).to_dict())
    name = f"#{view.name}" if view.name else "a Slack Connect channel"
    if view.state is ChannelState.PROPOSED:
        text = f"Link {name} to {view.account_name or view.account_id}?"
    else:
        text = f"{name}: {view.state.value}"
    return text, blocks


def stored_line(stored: StoredView) -> str:
    if stored.messages == 0:
        return "No messages stored."
    line = (
        f"{stored.messages} message{'s' if stored.messages != 1 else ''} stored, {stored.with_text} with text"
    )
    if stored.with_text and stored.oldest_text_at is not None:
        line += f"; oldest text from {slack_time(stored.oldest_text_at, DATE_ONLY)}"
        if stored.text_kept_until is not None:
            line += f", text kept until {slack_time(stored.text_kept_until)} at the latest"
    return line + "."


def purge_button(stored: StoredView) -> ButtonElement:
    shown = f"#{stored.channel.name}" if stored.channel.name else "this channel"
    return ButtonElement(
        text="Purge now", action_id=ChannelLinkAction.PURGE, value=stored.channel.channel_id, style="danger",
        confirm=ConfirmObject(
            title="Purge the stored text?",
            text=truncate(
                f"The text of {stored.with_text} stored message{'s' if stored.with_text != 1 else ''} in "
                f"{shown} goes now; only the signals derived from them stay. This cannot be undone.", 300
            ),
            confirm="Purge now", deny="Cancel", style="danger",
        ),
    )  # fmt: skip


def ops_channels_section(
    channels: Sequence[StoredView], *, counts: dict[str, int], hidden: int
) -> list[dict[str, Any]]:
    """Ops' App Home: one section and one actions block per channel (unmatched first)."""
    summary = ", ".join(f"{count} {state}" for state, count in sorted(counts.items())) or "none yet"
    blocks: list[dict[str, Any]] = [
        SectionBlock(text=MarkdownTextObject(text=f"*Slack Connect channels* ({summary})")).to_dict()
    ]
    for stored in channels[:CHANNELS_SHOWN]:
        view = stored.channel
        owner = f", owner <@{view.owner_slack_id}>" if view.owner_slack_id else ""
        text = (
            f"{channel_ref(view)} · {account_ref(view)}{owner} · *{view.state.value}*"
            f"{decided_line(view) if view.state is not ChannelState.PROPOSED else ''}\n{stored_line(stored)}"
        )
        if view.state is ChannelState.UNMATCHED and view.match_reason:
            text += f"\n_{escape(view.match_reason)}_"
        blocks.append(SectionBlock(text=MarkdownTextObject(text=truncate(text, SECTION_LIMIT))).to_dict())
        buttons = card_buttons(view, ops=True)
        if stored.with_text:
            buttons.append(purge_button(stored))
        if buttons:
            blocks.append(ActionsBlock(elements=buttons[:5]).to_dict())
    more = hidden + max(0, len(channels) - CHANNELS_SHOWN)
    if more:
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=f"…and {more} more channels.")]).to_dict()
        )
    return blocks


def build_link_modal(view: ChannelView) -> dict[str, Any]:
    """Ops names the account for a channel (its id or exact name)."""
    intro = f"Link {channel_ref(view)} to the account you name. Its owner's messages there become signals."
    return View(
        type="modal",
        callback_id=ChannelLinkModal.CALLBACK,
        private_metadata=view.channel_id,
        title=PlainTextObject(text="Link a channel"),
        submit=PlainTextObject(text="Link"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=truncate(intro, SECTION_LIMIT))),
            InputBlock(
                block_id=ChannelLinkModal.ACCOUNT_BLOCK,
                label=PlainTextObject(text="Account id or exact name"),
                element=PlainTextInputElement(
                    action_id=ChannelLinkModal.ACCOUNT_INPUT,
                    max_length=200,
                    placeholder=PlainTextObject(text="ACC-00042 or Acme Corp"),
                ),
            ),
        ],
    ).to_dict()
