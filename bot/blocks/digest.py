"""The morning health digest for one CSM: a pure function of a DigestView."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from slack_sdk.models.blocks import (
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks.mrkdwn import BAND_EMOJI, band_label, escape, truncate
from bot.blocks.outreach_failure import retry_button
from bot.ids import AutoTouchAction, DigestAction
from bot.trends import arrow

MAX_LISTED = 8  # keeps a digest readable and well under Slack's 50-block limit (two button lists: 2 x 10)
LINE_LIMIT = 300  # MAX_LISTED lines of this length fit in one 3,000-character section
# Automated touches get more room: one that is not shown with its Cancel button is not sent
# until a digest shows it (the digest stays under 50 blocks with every section full).
MAX_TOUCHES_LISTED = 15


@dataclass(frozen=True)
class DigestAccount:
    account_id: str
    name: str
    score: int
    band: str
    why: str


@dataclass(frozen=True)
class DigestMover:
    account_id: str
    name: str
    before: int
    after: int


@dataclass(frozen=True)
class DigestItem:
    account_id: str
    name: str
    label: str  # "health_low · assist", "queued, sends 11:30 UTC", "on hold: security incident"
    at: datetime | None = None
    outbox_id: int | None = None  # an automated touch that can still be cancelled
    card_id: int | None = None  # a card over the day's budget, not posted yet: opened from here


@dataclass(frozen=True)
class DigestView:
    user_slack_id: str
    user_name: str
    local_day: date
    band_counts: dict[str, int]
    red_accounts: tuple[DigestAccount, ...] = ()
    movers: tuple[DigestMover, ...] = ()
    pending_cards: tuple[DigestItem, ...] = ()
    automated: tuple[DigestItem, ...] = ()
    held: tuple[DigestItem, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)  # mrkdwn, escaped: e.g. exceptions that lapsed
    # Cards over yesterday's or today's card budget: waiting here, most important first.
    overflow: tuple[DigestItem, ...] = ()
    quiet: int = 0  # repeats a guardrail kept quiet today (cooldown, a card already waiting, an exception)
    failed_sends: tuple[DigestItem, ...] = ()  # customer emails that failed for good, with Retry


def build_digest_message(view: DigestView) -> tuple[str, list[dict[str, Any]]]:
    total = sum(view.band_counts.values())
    counts = " · ".join(
        f"{BAND_EMOJI[band]} {view.band_counts.get(band, 0)} {band}" for band in ("red", "yellow", "green")
    )
    text = (
        f"Your Tandem digest for {view.local_day:%a %d %b}: {total} accounts, "
        f"{view.band_counts.get('red', 0)} red, {len(view.pending_cards)} cards waiting"
    )
    blocks: list[Any] = [
        HeaderBlock(text=f"Good morning, {view.user_name.split(' ')[0]}"[:150]),
        ContextBlock(
            elements=[MarkdownTextObject(text=f"{view.local_day:%A %d %B %Y} · {total} accounts · {counts}")]
        ),
    ]
    if view.pending_cards:
        blocks.append(_list_section(f"*Waiting for you ({len(view.pending_cards)})*", view.pending_cards))
    if view.failed_sends:
        blocks.extend(
            _with_buttons(
                f"*Emails Tandem could not send ({len(view.failed_sends)})*: nothing reached the customer",
                view.failed_sends,
                lambda item: None if item.outbox_id is None else retry_button(item.outbox_id),
            )
        )
    if view.overflow:
        blocks.extend(
            _with_buttons(
                f"*Also needs you: over your daily card budget ({len(view.overflow)})*",
                view.overflow,
                lambda item: (
                    None
                    if item.card_id is None
                    else ButtonElement(
                        text="Open card", action_id=DigestAction.OPEN_CARD, value=str(item.card_id)
                    )
                ),
            )
        )
    if view.red_accounts:
        lines = [
            f"• *{escape(a.name)}* {band_label(a.band, a.score)} — {escape(a.why)}"
            for a in view.red_accounts[:MAX_LISTED]
        ]
        blocks.append(_section(f"*Red accounts ({len(view.red_accounts)})*", lines, len(view.red_accounts)))
    if view.movers:
        lines = [
            f"• {arrow(m.after - m.before)} *{escape(m.name)}* {m.before} → {m.after} ({m.after - m.before:+d})"
            for m in view.movers[:MAX_LISTED]
        ]
        blocks.append(_section("*Biggest movers (7 days)*", lines, len(view.movers)))
    if view.automated:
        blocks.extend(
            _with_buttons(
                f"*Automated touches queued ({len(view.automated)})*: each goes out at the time shown "
                "unless you cancel it",
                view.automated,
                lambda item: (
                    None
                    if item.outbox_id is None
                    else ButtonElement(
                        text="Cancel",
                        action_id=AutoTouchAction.CANCEL,
                        value=str(item.outbox_id),
                        style="danger",
                    )
                ),
                limit=MAX_TOUCHES_LISTED,
                more="…and {n} more, each held until a digest shows it to you with its Cancel button.",
            )
        )
    if view.held:
        blocks.append(_list_section("*On hold*", view.held))
    if view.quiet:
        quiet = (
            f"{view.quiet} repeat signal{'s' if view.quiet != 1 else ''} kept quiet today "
            "(a cooldown, a card already with you, or an exception: quiet until it gets worse)."
        )
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=quiet)]))
    if not (
        view.pending_cards
        or view.overflow
        or view.red_accounts
        or view.movers
        or view.automated
        or view.held
        or view.failed_sends
    ):
        blocks.append(SectionBlock(text=MarkdownTextObject(text="Nothing needs you today. ☕")))
    if view.notes:
        blocks.append(DividerBlock())
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=truncate(" · ".join(view.notes), 2000))])
        )
    return text, [block.to_dict() for block in blocks]


def _with_buttons(
    title: str,
    items: tuple[DigestItem, ...],
    button: Callable[[DigestItem], ButtonElement | None],
    *,
    limit: int = MAX_LISTED,
    more: str = "…and {n} more.",
) -> list[Any]:
    """A titled list, one section per item with its button (a button's value is an id only)."""
    blocks: list[Any] = [SectionBlock(text=MarkdownTextObject(text=title))]
    for item in items[:limit]:
        text = truncate(f"• *{escape(item.name)}* — {escape(item.label)}", LINE_LIMIT)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=text), accessory=button(item)))
    if len(items) > limit:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=more.format(n=len(items) - limit))]))
    return blocks


def _list_section(title: str, items: tuple[DigestItem, ...]) -> SectionBlock:
    lines = [f"• *{escape(item.name)}* — {escape(item.label)}" for item in items[:MAX_LISTED]]
    return _section(title, lines, len(items))


def _section(title: str, lines: list[str], total: int) -> SectionBlock:
    # Cut each line, not the whole section, so the "and N more" tail always survives.
    lines = [truncate(line, LINE_LIMIT) for line in lines]
    if total > len(lines):
        lines = [*lines, f"_…and {total - len(lines)} more_"]
    return SectionBlock(text=MarkdownTextObject(text=truncate("\n".join([title, *lines]))))
