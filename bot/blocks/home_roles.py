"""The Home tab's per-role sections, placed above the sections every role shares
(bot.blocks.home): a CSM's day and a manager's team. Pure functions of their views."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import HeaderBlock

from bot.blocks.mrkdwn import escape
from bot.blocks.slack_dates import slack_time
from bot.blocks.team_health import (
    BandLine,
    CardLine,
    HealthView,
    band_lines,
    build_health_blocks,
    card_line,
    listed,
    section,
    snooze_line,
)

CARDS_SHOWN = 10
ACCOUNTS_SHOWN = 10


@dataclass(frozen=True)
class KeptWithPerson:
    """An account Tandem sends nothing automated on: vetoed (always human) or taken over."""

    name: str
    why: str  # "always human (vetoed by Ana Lima)", "taken over by Ana Lima"
    since: datetime | None = None


@dataclass(frozen=True)
class CsmDay:
    now: datetime
    waiting: tuple[CardLine, ...]  # oldest first
    snoozed: tuple[CardLine, ...]  # soonest back first
    bands: tuple[BandLine, ...]
    unscored: int
    currency: str
    kept: tuple[KeptWithPerson, ...]


def csm_sections(day: CsmDay) -> list[dict[str, Any]]:
    """Waiting for you (oldest first, with rung and age), snoozed with when each returns, the
    book by band, and the accounts on hold with a person. (Automated touches with **Cancel**
    and signals on hold come with the digest picture below.)"""
    blocks = []
    if day.waiting:
        lines = [card_line(card, day.now) for card in day.waiting]
        title = f"*Waiting for you ({len(lines)})*, oldest first"
        blocks.append(section(f"{title}\n" + listed(lines, len(lines), CARDS_SHOWN)))
    else:
        blocks.append(section("*Waiting for you (0)*\nNo card is waiting for your decision."))
    if day.snoozed:
        lines = [snooze_line(card) for card in day.snoozed]
        blocks.append(section(f"*Snoozed ({len(lines)})*\n" + listed(lines, len(lines), CARDS_SHOWN)))
    bands = band_lines(day.bands, unscored=day.unscored, currency=day.currency)
    blocks.append(section("*Your book by band*\n" + "\n".join(bands)))
    if day.kept:
        lines = [
            f"• *{escape(kept.name)}* · {escape(kept.why)}"
            + (f" since {slack_time(kept.since)}" if kept.since else "")
            for kept in day.kept
        ]
        title = f"*On hold or vetoed ({len(lines)})*: Tandem sends nothing automated on these"
        blocks.append(section(f"{title}\n" + listed(lines, len(lines), ACCOUNTS_SHOWN)))
    return blocks


def manager_sections(climbed: Sequence[CardLine], team: HealthView) -> list[dict[str, Any]]:
    """The cards that climbed to the manager on top, then their team's /health picture."""
    blocks = []
    if climbed:
        lines = [card_line(card, team.now, owner=True) for card in climbed]
        title = f"*Climbed to you ({len(lines)})*: nobody decided these in time; you can decide them"
        blocks.append(section(f"{title}\n" + listed(lines, len(lines), CARDS_SHOWN)))
    else:
        blocks.append(section("*Climbed to you (0)*\nNo card of your team's has climbed to you."))
    blocks.append(HeaderBlock(text=team.title[:150]).to_dict())
    blocks.extend(build_health_blocks(team, header=False))
    return blocks
