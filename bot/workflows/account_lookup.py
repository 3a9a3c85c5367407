"""Which account a slash command names, for this requester: the one lookup behind `/brief`,
`/qbr`, `/flag` and `/veto`, and the one place that decides what a lookup may reveal.

- A Slack user Tandem does not know learns nothing: one answer, whatever they typed and
  whether or not such an account exists.
- Close matches ("Closest: …") come only from the accounts the requester may act on
  (`users.visible_owners`): their own; a manager's team's; every account for ops and admin.
- An account named exactly (its id or full name) that the requester may not act on is
  refused by what they typed, never by its stored name.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.blocks.mrkdwn import escape
from storage.models import Account
from storage.repositories import users
from storage.repositories.accounts import find_accounts

MAX_ECHO = 80  # characters of the query repeated back


def echo(query: str) -> str:
    """What the requester typed, short and safe to show in mrkdwn."""
    text = " ".join(query.split())
    return escape(text if len(text) <= MAX_ECHO else text[: MAX_ECHO - 1] + "…")


@dataclass(frozen=True)
class NoMatch:
    query: str
    candidates: tuple[tuple[str, str], ...]  # (name, account id), closest first
    command: str = "/brief"

    def message(self) -> str:
        """The private reply: No account matches 'acm'. Closest: Acme Corp (ACC-0001), …"""
        said = f"No account matches '{echo(self.query)}'."
        if not self.candidates:
            return f"{said} Try the account's name or id, e.g. `{self.command} ACC-00042`."
        closest = ", ".join(f"{escape(name)} ({escape(account_id)})" for name, account_id in self.candidates)
        return f"{said} Closest: {closest}"


@dataclass(frozen=True)
class OutOfScope:
    query: str  # as typed: the refusal never tells the account's stored name
    action: str = "ask for its brief"  # "flag it", "change its veto", …
    outcome: str = "Nothing was shared."

    def message(self) -> str:
        return f"Only the CSM of {echo(self.query)}, their manager, or ops can {self.action}. {self.outcome}"


@dataclass(frozen=True)
class UnknownRequester:
    """The requester is no one Tandem knows: the same answer, whatever they asked."""

    def message(self) -> str:
        return (
            "No account matches: Tandem does not know your Slack user, so it shares no account data "
            "with you. Ask ops to add you to csms.csv (your manager or ops can look accounts up meanwhile)."
        )


Unresolved = NoMatch | OutOfScope | UnknownRequester  # each has .message(): what the requester is told


def resolve_account(
    session: Session,
    *,
    query: str,
    actor: str,
    command: str = "/brief",
    action: str = "ask for its brief",
    outcome: str = "Nothing was shared.",
) -> Account | Unresolved:
    """The one account `query` names, if `actor` may act on it (the one authorization check)."""
    if users.get_user(session, slack_id=actor) is None:
        return UnknownRequester()
    match = find_accounts(session, query=query, owners=users.visible_owners(session, actor=actor))
    if match.exact is None:
        return NoMatch(query.strip(), tuple((a.name, a.account_id) for a in match.candidates), command)
    if not users.may_act_on(session, account=match.exact, actor=actor):
        return OutOfScope(query, action, outcome)
    return match.exact
