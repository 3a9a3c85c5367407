"""Requests that change something, asked in words: never run from words alone.
(Placeholder in the base branch; the actions branch builds Confirm / Cancel here.)"""

from __future__ import annotations

from bot.assistant.types import Ask, Reply, Turn
from bot.deps import Deps


def propose(deps: Deps, turn: Turn, ask: Ask) -> Reply:
    """Validate the request (the account exists, in the asker's scope), store it as a pending
    action and return the Confirm card; or a refusal naming what is wrong."""
    return Reply(f"I can't {ask.intent.value.replace('_', ' ')} from a conversation yet.", ask.intent.value)
