"""`/health`'s picture of a scope (one CSM's book, a manager's team, the whole book): a pure
function of a HealthView. The manager's App Home shows the same sections.

Bands (accounts and ARR per band), movers over 7 days, cards waiting by age and rung with the
oldest listed, snoozed cards apart, cards decided in the last 7 days by action, and each CSM's
load against the daily card budget. Every time is a Slack date token (the reader's own zone).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from slack_sdk.models.blocks import ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from bot.blocks.mrkdwn import BAND_EMOJI, escape, truncate
from bot.blocks.slack_dates import slack_day, slack_time
from bot.trends import arrow
from storage.enums import Rung, SnoozeMode

BANDS = ("red", "yellow", "green")
RUNGS = (Rung.OWNER, Rung.REMINDED, Rung.MANAGER, Rung.CHANNEL)
# Waiting ages, each bucket up to its bound; the last catches the rest.
AGE_BUCKETS: tuple[tuple[str, timedelta | None], ...] = (
    ("under 4h", timedelta(hours=4)),
    ("4–24h", timedelta(hours=24)),
    ("1–3 days", timedelta(days=3)),
    ("over 3 days", None),
)
ACTIONS = (("approved", "approve"), ("edited", "edit"), ("taken_over", "take over"), ("dismissed", "dismiss"))
MOVERS_SHOWN = 5  # each way
CARDS_SHOWN = 8
LOAD_SHOWN = 15


@dataclass(frozen=True)
class BandLine:
    band: str
    accounts: int
    arr: float


@dataclass(frozen=True)
class Mover:
    name: str
    before: int
    after: int


@dataclass(frozen=True)
class CardLine:
    account_name: str
    what: str  # "health_low · assist", "audit"
    rung: str  # storage.enums.Rung
    since: datetime  # waiting since (posted, or created if not posted yet)
    owner_name: str = ""
    snoozed_until: datetime | None = None
    snooze_mode: str | None = None
    where: str = ""  # mrkdwn: where the card can be opened ("<url|View card>", "in <#C…>")


@dataclass(frozen=True)
class Load:
    name: str
    posted_today: int
    pending: int
    snoozed: int


@dataclass(frozen=True)
class HealthView:
    title: str  # "Your team", "Ana Lima's book", "The whole book"
    people: str  # who is in it, a sentence
    now: datetime
    as_of: date | None  # the scoring day the bands are from
    currency: str
    bands: tuple[BandLine, ...]
    unscored: int
    movers_up: tuple[Mover, ...]
    movers_down: tuple[Mover, ...]
    waiting: tuple[CardLine, ...]  # awake, oldest first
    snoozed: tuple[CardLine, ...]  # soonest back first
    decided: dict[str, int]  # decided state -> cards, last 7 days
    budget: int  # cards a CSM's DM gets a day
    load: tuple[Load, ...]  # busiest first


def age_label(delta: timedelta) -> str:
    """A short waiting age: "40m", "5h", "2d 3h"."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 24:
        return f"{hours}h"
    days, rest = divmod(hours, 24)
    return f"{days}d {rest}h" if rest else f"{days}d"


def age_bucket(delta: timedelta) -> str:
    for label, bound in AGE_BUCKETS:
        if bound is None or delta < bound:
            return label
    return AGE_BUCKETS[-1][0]


def money(amount: float, currency: str) -> str:
    return f"{currency}{amount:,.0f}"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def section(text: str) -> dict[str, Any]:
    return SectionBlock(text=MarkdownTextObject(text=truncate(text, 3000))).to_dict()


def listed(lines: list[str], total: int, shown: int) -> str:
    """Lines, the first `shown` of `total`, with "…and N more" when some are left out."""
    text = "\n".join(lines[:shown])
    return text + (f"\n…and {total - shown} more" if total > shown else "")


def card_line(card: CardLine, now: datetime, *, owner: bool = False) -> str:
    """• *Acme Corp* · health_low · assist · with the manager · waiting 5h (since …)"""
    who = f" · {escape(card.owner_name)}'s" if owner and card.owner_name else ""
    where = f" · {card.where}" if card.where else ""
    return (
        f"• *{escape(card.account_name)}*{who} · {escape(card.what)} · {rung_label(card.rung)} · "
        f"waiting {age_label(now - card.since)} (since {slack_time(card.since)}){where}"
    )


def snooze_line(card: CardLine, *, owner: bool = False) -> str:
    """• *Acme Corp* · health_low · back Mar 5 at 9:00 AM (or: until it gets worse)"""
    who = f" · {escape(card.owner_name)}'s" if owner and card.owner_name else ""
    if card.snooze_mode == SnoozeMode.UNTIL_WORSE or card.snoozed_until is None:
        back = "until it gets worse"
    else:
        back = f"back {slack_time(card.snoozed_until)}, or sooner if it gets worse"
    return f"• *{escape(card.account_name)}*{who} · {escape(card.what)} · snoozed {back}"


def rung_label(rung: str) -> str:
    labels: dict[str, str] = {
        Rung.OWNER: "with its CSM",
        Rung.REMINDED: "reminded",
        Rung.MANAGER: "with the manager",
        Rung.CHANNEL: "in the escalation channel",
    }
    return labels.get(rung, escape(rung))


def band_lines(bands: Sequence[BandLine], *, unscored: int, currency: str) -> list[str]:
    """🔴 *red*: 3 accounts, $180,000 ARR (one line per band, then the accounts not scored yet)."""
    by_band = {line.band: line for line in bands}
    lines = [
        f"{BAND_EMOJI[band]} *{band}*: {plural(by_band[band].accounts if band in by_band else 0, 'account')}, "
        f"{money(by_band[band].arr if band in by_band else 0.0, currency)} ARR"
        for band in BANDS
    ]
    if unscored:
        lines.append(f"⚪ not scored yet: {plural(unscored, 'account')}")
    return lines


def build_health_blocks(view: HealthView, *, header: bool = True) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if header:
        blocks.append(HeaderBlock(text=truncate(f"Health: {view.title}", 150)).to_dict())
    scored = f"scores of {slack_day(view.as_of)}" if view.as_of else "no scores yet"
    blocks.append(
        ContextBlock(
            elements=[MarkdownTextObject(text=truncate(f"{view.people} · {scored}", 3000))]
        ).to_dict()
    )
    bands = band_lines(view.bands, unscored=view.unscored, currency=view.currency)
    blocks.append(section("*Bands*\n" + "\n".join(bands)))
    blocks.append(section(_movers_text(view)))
    blocks.append(section(_waiting_text(view)))
    if view.snoozed:
        lines = [snooze_line(card, owner=True) for card in view.snoozed]
        blocks.append(section(f"*Snoozed ({len(view.snoozed)})*\n" + listed(lines, len(lines), CARDS_SHOWN)))
    decided = " · ".join(f"{label} {view.decided.get(state, 0)}" for state, label in ACTIONS)
    total = sum(view.decided.get(state, 0) for state, _ in ACTIONS)
    blocks.append(section(f"*Decided in the last 7 days ({total})*\n{decided}"))
    blocks.append(section(_load_text(view)))
    return blocks


def health_text(view: HealthView) -> str:
    """The notification text: Health: Your team — 12 accounts, 3 red, 4 cards waiting."""
    accounts = sum(line.accounts for line in view.bands) + view.unscored
    red = sum(line.accounts for line in view.bands if line.band == "red")
    return (
        f"Health: {view.title} — {plural(accounts, 'account')}, {red} red, "
        f"{plural(len(view.waiting), 'card')} waiting"
    )


def _movers_text(view: HealthView) -> str:
    if not view.movers_up and not view.movers_down:
        return "*Movers (7 days)*\nNo score changed in the last 7 days."
    lines = [
        f"• {arrow(m.after - m.before)} *{escape(m.name)}* {m.before} → {m.after} ({m.after - m.before:+d})"
        for m in (*view.movers_down, *view.movers_up)
    ]
    return "*Movers (7 days)*\n" + "\n".join(lines)


def _waiting_text(view: HealthView) -> str:
    if not view.waiting:
        return "*Cards waiting (0)*\nNothing is waiting for a decision."
    table: dict[str, Counter[str]] = {}
    for card in view.waiting:
        table.setdefault(card.rung, Counter())[age_bucket(view.now - card.since)] += 1
    rows = []
    for rung in (*RUNGS, *sorted(set(table) - set(RUNGS))):
        if rung in table:
            ages = " · ".join(
                f"{label} {table[rung][label]}" for label, _ in AGE_BUCKETS if table[rung][label]
            )
            rows.append(f"• {rung_label(rung)}: {sum(table[rung].values())} ({ages})")
    oldest = [card_line(card, view.now, owner=True) for card in view.waiting]
    return (
        f"*Cards waiting ({len(view.waiting)})* by rung and age\n"
        + "\n".join(rows)
        + "\n*Oldest*\n"
        + listed(oldest, len(oldest), CARDS_SHOWN)
    )


def _load_text(view: HealthView) -> str:
    title = f"*Load against the card budget ({view.budget} a day per CSM)*"
    if not view.load:
        return f"{title}\nNo CSMs in view."
    lines = [
        f"• *{escape(load.name)}*: {load.posted_today} of {view.budget} cards today"
        + (" (over)" if load.posted_today > view.budget else "")
        + f" · {load.pending} pending"
        + (f" · {load.snoozed} snoozed" if load.snoozed else "")
        for load in view.load
    ]
    return f"{title}\n" + listed(lines, len(lines), LOAD_SHOWN)
