"""Replay a route or watched-phrase proposal over the last 90 days of decisions (pure).

A route rule changes who acts, not whether a trigger fires: the replay counts the past card and
touch decisions in the rule's cell and how people had decided them, and says what they would
have become (a card for a person, or an automated touch held with Cancel). A watched phrase makes
the sentiment trigger read more tickets as frustrated: the replay counts the tickets and accounts
that carry it and how many of those accounts were later taken over or churned.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from scoring.learning.route_proposals import RouteDecision

CARD_ROUTES = frozenset({"assist", "human", "escalate"})


def rule_matches(rule: Mapping[str, Any], decision: RouteDecision) -> bool:
    """Whether a stored decision happened in the rule's cell (each matcher the rule sets agrees)."""
    if rule.get("segment") and decision.segment != rule["segment"]:
        return False
    if rule.get("industry") and (decision.industry or "") != rule["industry"]:
        return False
    if rule.get("trigger") and decision.trigger != rule["trigger"]:
        return False
    return not rule.get("context") or rule["context"] in decision.contexts


def replay_route(
    rule: Mapping[str, Any], decisions: Iterable[RouteDecision], *, since: date, as_of: date
) -> dict[str, Any]:
    """What the rule would have changed among the cell's decisions of `since`..`as_of`."""
    mine = [d for d in decisions if since <= d.day <= as_of and rule_matches(rule, d)]
    to_person = rule.get("route") == "human"
    changed = [d for d in mine if (d.route == "auto") == to_person and (to_person or d.route == "assist")]
    return {
        "kind": "route",
        "since": since.isoformat(),
        "as_of": as_of.isoformat(),
        "decisions_in_cell": len(mine),
        "would_change": len(changed),
        "would_become": "cards for a person" if to_person else "automated touches, held with Cancel",
        "changed_by_decision": dict(sorted(Counter(d.action for d in changed).items())),
        "cell_by_decision": dict(sorted(Counter(d.action for d in mine).items())),
    }


@dataclass(frozen=True, slots=True)
class PhraseTicket:
    account_id: str
    day: date
    text: str  # subject and body, lowercase


def replay_phrase(
    phrase: str,
    tickets: Sequence[PhraseTicket],
    later: Mapping[str, Sequence[date]],
    *,
    since: date,
    as_of: date,
) -> dict[str, Any]:
    """Tickets of `since`..`as_of` carrying `phrase`, their accounts, and those of them taken over
    or churned afterwards (`later`: each account's take-over and churn days)."""
    needle = phrase.lower()
    hits = [t for t in tickets if since <= t.day <= as_of and needle in t.text]
    accounts = sorted({t.account_id for t in hits})
    first = {a: min(t.day for t in hits if t.account_id == a) for a in accounts}
    followed = sorted(a for a in accounts if any(day >= first[a] for day in later.get(a, ())))
    return {
        "kind": "phrase",
        "since": since.isoformat(),
        "as_of": as_of.isoformat(),
        "phrase": phrase,
        "tickets": len(hits),
        "accounts": len(accounts),
        "accounts_taken_over_or_churned": len(followed),
        "followed": followed[:20],
    }
