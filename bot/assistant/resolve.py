"""The one account a question or request is about, within the asker's scope: "this" is the
thread's account; otherwise an exact id or name, one name containing what was typed, a short
pick list when several do, the closest names when none does, and a refusal that tells nothing
about someone else's account (bot.workflows.account_lookup's sentences)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.assistant.types import Ask, Reply, Turn
from bot.blocks.mrkdwn import truncate
from bot.deps import Deps
from bot.workflows.account_lookup import NoMatch, OutOfScope, UnknownRequester, echo
from storage.models import Account
from storage.repositories import users
from storage.repositories.accounts import find_accounts

PICK_ACTION = "assistant-pick"  # a pick-list button: value {"q": intent, "a": account id}
MAX_PICKS = 5


@dataclass(frozen=True)
class Resolved:
    account: Account


def resolve(deps: Deps, turn: Turn, ask: Ask) -> Resolved | Reply:
    """The one account the question is about, within the asker's scope, or the reply saying why not
    (a pick list, the closest names, a refusal)."""
    query = (ask.account or "").strip()
    if query.lower() in ("this", "it", "this one", "this account", "this card", "them", "they", ""):
        if not turn.account_id:
            return Reply(
                "Which account? Name it (e.g. _why is Acme red?_), or ask in a card's thread.",
                ask.intent.value,
            )
        query = turn.account_id
    with deps.session_factory() as session:
        if users.get_user(session, slack_id=turn.requester) is None:
            return Reply(UnknownRequester().message(), ask.intent.value)
        owners = users.visible_owners(session, actor=turn.requester)
        match = find_accounts(session, query=query, owners=owners, limit=MAX_PICKS)
        if match.exact is not None:
            if not users.may_act_on(session, account=match.exact, actor=turn.requester):
                refusal = OutOfScope(query, "ask about it")
                return Reply(refusal.message(), ask.intent.value)
            session.expunge(match.exact)
            return Resolved(match.exact)
        candidates = [(a.name, a.account_id) for a in match.candidates]
    needle = query.lower()
    close = [c for c in candidates if needle in c[0].lower()]
    if len(close) == 1:  # "northwind" for "Northwind Traders": one name contains it
        with deps.session_factory() as session:
            account = session.get(Account, close[0][1])
            assert account is not None
            session.expunge(account)
        return Resolved(account)
    if len(close) > 1:
        return pick_list(ask, query, close)
    return Reply(NoMatch(query, tuple(candidates), "/brief").message(), ask.intent.value)


def pick_list(ask: Ask, query: str, candidates: list[tuple[str, str]]) -> Reply:
    text = f"Several accounts match '{echo(query)}'. Which one?"
    buttons = [
        {
            "type": "button",
            "action_id": f"{PICK_ACTION}-{i}",
            "text": {"type": "plain_text", "text": truncate(f"{name} ({account_id})", 75)},
            "value": json.dumps({"q": ask.intent.value, "a": account_id}),
        }
        for i, (name, account_id) in enumerate(candidates[:MAX_PICKS])
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "actions", "block_id": "assistant-pick", "elements": buttons},
    ]
    return Reply(text, ask.intent.value, blocks=blocks)
