"""Free-form questions through the LLM with tool calls onto the assistant's reads and actions.
(Placeholder in the base branch; the LLM branch builds it.)"""

from __future__ import annotations

from collections.abc import Sequence

from bot.assistant.types import Reply, Turn
from bot.deps import Deps


def llm_reply(deps: Deps, turn: Turn, history: Sequence[dict[str, str]]) -> Reply | None:
    """An answer through the LLM, or None when no LLM is configured."""
    return None
