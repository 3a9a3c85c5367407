"""A direct message to Tandem gets a short help answer (until the conversational assistant
exists): what Tandem does and the commands for the asker's role; someone Tandem does not know
is told how to get set up.

The answer is owed through the delivery outbox under the Slack event's id, so the same event
delivered again (Slack retries when an answer is slow) is answered once, and an answer Slack
refused is retried like every notice. Which messages deserve an answer (a person's new DM; not a
bot's, an edit, a deletion) is `wants_answer`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.blocks.help import help_blocks
from bot.delivery.engine import DeliveryRun, deliver_due
from bot.delivery.notices import NOTICE_RENDERERS, owe_notice
from bot.deps import Deps
from bot.ids import Command
from storage.db import transaction
from storage.enums import DeliveryKind, Role
from storage.repositories import users

KEY = "dm-help"
# Subtypes of a person's own new message; anything else (message_changed, message_deleted,
# bot_message, channel_join, …) is not someone asking Tandem something.
ANSWERED_SUBTYPES = (None, "file_share")

INTRO = (
    "Hi, I'm Tandem. I watch every account's health, send routine touches on their own, and "
    "bring you the accounts that need a person as cards, with a draft ready. "
    "I can't hold a conversation yet; here is what I can do for you."
)
COMMAND_HELP = {
    Command.BRIEF: "`/brief ACCOUNT`: the account's brief (score, why, tickets, context, renewal)",
    Command.QBR: "`/qbr ACCOUNT`: a QBR brief with a 90-day chart and a Markdown copy, here in our DM",
    Command.FLAG: "`/flag ACCOUNT: what you noticed`: an account Tandem missed becomes a card for its CSM",
    Command.VETO: "`/veto ACCOUNT: why`: keep a person on every touchpoint of an account (`/veto lift ACCOUNT` ends it)",
}
ROLE_HELP = {
    Role.CSM: (
        "Your cards arrive here: *Approve*, *Edit*, *Take over* or *Dismiss* each one. "
        "Your *Home* tab shows what is waiting for you.",
        "for the accounts in your book",
    ),
    Role.MANAGER: (
        "Cards for your team's accounts that wait too long come to you, and you can decide any "
        "of them. Your *Home* tab shows your team.",
        "for your team's accounts",
    ),
    Role.OPS: (
        "Ops alerts come here (the circuit breaker, messages Slack refused, trigger tuning, "
        "calibration). Your *Home* tab shows the override log and what needs ops.",
        "for any account",
    ),
}
ROLE_HELP[Role.ADMIN] = ROLE_HELP[Role.OPS]
SET_UP = (
    "I don't know you yet, so I have no cards or accounts for you. Ask your Tandem admin to "
    "add you to `csms.csv` (your work email is enough: Tandem looks up your Slack account) "
    "and import it; then your cards come here and your *Home* tab shows your work."
)


def wants_answer(event: Mapping[str, Any]) -> bool:
    """A person's new message in their DM with Tandem (not a bot's, not an edit or deletion,
    not a reply in a thread: a card's thread holds notes on that card, not questions to Tandem)."""
    return (
        event.get("channel_type") == "im"
        and not event.get("bot_id")
        and event.get("subtype") in ANSWERED_SUBTYPES
        and event.get("thread_ts") in (None, event.get("ts"))
        and isinstance(event.get("user"), str)
        and isinstance(event.get("channel"), str)
    )


def help_text(role: Role | None) -> str:
    if role is None:
        return f"{INTRO}\n\n{SET_UP}"
    what, scope = ROLE_HELP[role]
    commands = "\n".join(f"• {COMMAND_HELP.get(command, f'`{command.value}`')}" for command in Command)
    return f"{INTRO}\n\n{what}\n\n*Commands* ({scope}):\n{commands}"


def answer_direct_message(deps: Deps, *, event_id: str, user: str, channel: str) -> DeliveryRun:
    """Owe the help answer for this event (once, whatever Slack redelivers) and post it."""
    key = f"{KEY}:{event_id}"
    with transaction(deps.session_factory) as session:
        person = users.get_user(session, slack_id=user)
        text = help_text(Role(person.role) if person is not None else None)
        owe_notice(session, key=key, kind=DeliveryKind.DM_HELP, recipients=[channel], text=text,
                   blocks=help_blocks(text), now=deps.clock.now())  # fmt: skip
    kind = DeliveryKind.DM_HELP
    return deliver_due(deps, {kind: NOTICE_RENDERERS[kind]}, key=f"{key}:{channel}")
