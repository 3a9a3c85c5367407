"""What the assistant says it can do: examples of questions and requests, and each role's help
(what Tandem does for them, whose accounts they may ask about); set-up help for a stranger."""

from __future__ import annotations

from bot.assistant.types import Intent, Reply
from bot.deps import Deps
from storage.enums import Role
from storage.repositories import users

EXAMPLES = (
    "why is Acme red?",
    "how is Acme doing?",
    "what changed at Acme since last month?",
    "what needs me today?",
    "which of my accounts renew this quarter?",
    "show the override log for Acme",
    "what did Tandem send to Acme?",
    "brief Acme / QBR for Acme / draft a check-in for Acme",
)
ACTION_EXAMPLES = (
    "pause automation on Acme for 2 weeks",
    "always human on Acme",
    "flag Acme: renewal call went badly",
    "snooze this / take this over (in a card's thread)",
)

# What Tandem does for each role, and whose accounts they may ask about (the DM help of old).
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


def setup_text() -> str:
    return (
        "I don't know you yet, so I have no cards or accounts for you. Ask your Tandem admin to add you "
        "to `csms.csv` (your work email is enough: Tandem looks up your Slack account) and import it; "
        "then you can ask me about your accounts."
    )


def help_reply(deps: Deps, requester: str) -> Reply:
    with deps.session_factory() as session:
        person = users.get_user(session, slack_id=requester)
    if person is None:
        return Reply(f"Hi, I'm Tandem.\n\n{setup_text()}", Intent.HELP.value)
    what, scope = ROLE_HELP[Role(person.role)]
    questions = "\n".join(f"• _{q}_" for q in EXAMPLES)
    actions = "\n".join(f"• _{q}_" for q in ACTION_EXAMPLES)
    text = (
        f"Hi, I'm Tandem. Ask me about your accounts ({scope}); I answer from Tandem's data, with the "
        f"sources.\n\n{what}\n\n*Questions*\n{questions}\n\n*Requests* (each waits for your Confirm)\n{actions}\n\n"
        "Commands still work too: `/brief`, `/qbr`, `/flag`, `/veto`, `/health`."
    )
    return Reply(text, Intent.HELP.value)
