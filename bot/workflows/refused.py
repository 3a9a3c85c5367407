"""A workflow's refusal: the one answer type for "not done", carrying what the person is told.

Every workflow a person triggers (a click, a slash command, a menu choice) returns its result or
a `Refused` whose `message` is the sentence shown to them, privately. The message names what was
wrong (the card was already decided, by whom and when; the user may not act on that account;
the input was empty) and that nothing changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.blocks.slack_dates import slack_time


@dataclass(frozen=True)
class Refused:
    message: str


CARD_GONE = Refused("This card no longer exists.")
NOT_YOURS = Refused("Only the account's CSM, their manager or ops can decide on this card.")


def already_decided(state: str, decided_by: str | None, decided_at: datetime | None) -> Refused:
    """A card someone already answered: who, what and when (in the reader's zone)."""
    when = f" at {slack_time(decided_at)}" if decided_at else ""
    who = f"<@{decided_by}>" if decided_by else "someone"
    return Refused(f"Already handled: {state.replace('_', ' ')} by {who}{when}. Nothing was changed.")
