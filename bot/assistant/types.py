"""The assistant's vocabulary: what a message asks (an Intent with its arguments), the turn it
came in, and the reply Tandem gives."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Intent(StrEnum):
    # questions, answered at once from Tandem's stored facts
    WHY_RED = "why_red"  # why is X red
    HOW_IS = "how_is"  # how is X doing
    WHAT_CHANGED = "what_changed"  # what changed at X since last month
    NEEDS_ME = "needs_me"  # what needs me today
    RENEWALS = "renewals"  # which of my accounts renew this quarter and how risky
    OVERRIDE_LOG = "override_log"  # show the override log for X
    WHAT_SENT = "what_sent"  # what did Tandem send to X
    BRIEF = "brief"  # brief X
    QBR = "qbr"  # QBR for X (posted to the requester's DM, like /qbr)
    DRAFT_CHECKIN = "draft_checkin"  # draft a check-in for X (shown, never sent)
    HELP = "help"
    # requests that change something: only behind a Confirm button (bot.assistant.actions)
    PAUSE = "pause"  # pause automation on X for N days
    ALWAYS_HUMAN = "always_human"  # always human on X
    FLAG = "flag"  # flag X: why
    SNOOZE = "snooze"  # snooze this card (in a card's thread)
    TAKE_OVER = "take_over"  # take this over (in a card's thread)


ACTION_INTENTS = frozenset({Intent.PAUSE, Intent.ALWAYS_HUMAN, Intent.FLAG, Intent.SNOOZE, Intent.TAKE_OVER})


@dataclass(frozen=True)
class Ask:
    """What one message asks: the intent and its arguments as typed (the account is resolved
    later, within the asker's scope)."""

    intent: Intent
    account: str | None = None  # "Acme", "this" resolved from the thread's context
    days: int | None = None  # pause for N days
    reason: str | None = None  # flag X: why
    snooze: str | None = None  # a storage.enums.SnoozeMode value


@dataclass(frozen=True)
class Turn:
    """One message to the assistant. `thread_ts` keys the conversation; `card_id` and
    `account_id` are the context of a card's thread ("this" means that card's account)."""

    requester: str
    channel: str
    thread_ts: str
    ts: str
    text: str
    card_id: int | None = None
    account_id: str | None = None


@dataclass(frozen=True)
class Reply:
    """What Tandem answers: mrkdwn text (and blocks, e.g. a pick list or a Confirm card), the
    sources it cites, how it was made, and what it cost."""

    text: str
    intent: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    sources: tuple[str, ...] = ()
    via: str = "grammar"
    account_id: str | None = None
    action_id: int | None = None  # a pending action awaiting Confirm
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None
