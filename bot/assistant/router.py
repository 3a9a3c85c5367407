"""Which path answers a message: the grammar first (no LLM, always tried); a question goes to the
reads, a request to the Confirm path (bot.assistant.actions), anything else to the LLM when one
is configured. No path ever leaves the asker with silence: an unknown shape, no LLM, or an LLM
failure all get "I didn't understand", with what Tandem can answer."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from slack_sdk import WebClient

from bot.assistant import actions, llm
from bot.assistant.grammar import parse
from bot.assistant.help import EXAMPLES
from bot.assistant.reads import answer_read
from bot.assistant.types import ACTION_INTENTS, Ask, Reply, Turn
from bot.deps import Deps

logger = logging.getLogger(__name__)

NOT_UNDERSTOOD = "not_understood"


def not_understood() -> Reply:
    examples = "\n".join(f"• _{q}_" for q in EXAMPLES)
    return Reply(f"I didn't understand that. Here is what I can answer:\n{examples}\n\nSay _help_ for more.",
                 NOT_UNDERSTOOD)  # fmt: skip


def respond(
    deps: Deps, turn: Turn, history: Sequence[dict[str, str]], *, client: WebClient | None = None
) -> Reply:
    """Tandem's reply to one message (`history`: the thread's earlier turns, oldest first)."""
    ask = parse(turn.text)
    if ask is not None:
        return answer(deps, turn, ask, client=client)
    try:
        reply = llm.llm_reply(deps, turn, history)
    except Exception:  # a model that fails answers nothing; the asker still hears from Tandem
        logger.exception("assistant: the LLM path failed on %r", turn.text[:200])
        reply = None
    return reply if reply is not None else not_understood()


def answer(deps: Deps, turn: Turn, ask: Ask, *, client: WebClient | None = None) -> Reply:
    """An Ask (parsed, or re-asked from a pick-list click) answered by its path."""
    if ask.intent in ACTION_INTENTS:
        return actions.propose(deps, turn, ask)
    return answer_read(deps, turn, ask, client=client)
