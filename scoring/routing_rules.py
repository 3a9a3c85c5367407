"""Learned routing rules (`routing.rules`): which apply to an account's signal on a day, in words.

A rule matches when each matcher it sets agrees: the account's segment and industry, a context
event of its kind in view on the day (as `scoring.context` sees it: started, not yet ended),
and the signal's trigger. Routing decides what a match does; route proposals name cells with
the same words (`cell_words`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from scoring.config import RoutingRule
from scoring.context import events_in_view, label
from scoring.types import AccountFacts, ContextKind, Segment, TriggerKey

SEGMENT_ADJECTIVES = {
    "enterprise": "enterprise",
    "mid_market": "mid-market",
    "smb": "SMB",
    "self_serve": "self-serve",
}


def matches(rule: RoutingRule, facts: AccountFacts, trigger: TriggerKey, as_of: date) -> bool:
    if rule.segment is not None and facts.segment is not rule.segment:
        return False
    if rule.industry is not None and (facts.industry or "").strip().lower() != rule.industry:
        return False
    if rule.trigger is not None and trigger is not rule.trigger:
        return False
    return rule.context is None or bool(events_in_view(facts.context, as_of, frozenset({rule.context})))


def matching_rules(
    rules: Sequence[RoutingRule], facts: AccountFacts, trigger: TriggerKey, as_of: date, *, route: str
) -> list[RoutingRule]:
    """The rules of `route` ("human" or "auto") that match, in the configuration's order."""
    return [rule for rule in rules if rule.route == route and matches(rule, facts, trigger, as_of)]


def cell_words(
    segment: Segment | str | None,
    industry: str | None,
    context: ContextKind | str | None,
    trigger: TriggerKey | str | None = None,
) -> str:
    """ "enterprise healthcare accounts during a compliance review", "SMB accounts", "all accounts"."""
    parts = []
    if segment is not None:
        parts.append(SEGMENT_ADJECTIVES.get(str(segment), str(segment)))
    if industry:
        parts.append(industry)
    words = " ".join(parts) + " accounts" if parts else "all accounts"
    if context is not None:
        words += f" during a {label(ContextKind(str(context)))}"
    if trigger is not None:
        words += f" ({str(trigger).replace('_', ' ')})"
    return words


def rule_words(rule: RoutingRule) -> str:
    """A rule's cell in words."""
    return cell_words(rule.segment, rule.industry, rule.context, rule.trigger)


def rule_note(rule: RoutingRule) -> str:
    """ " (its note)" when the rule has one, else ""."""
    return f" ({rule.note})" if rule.note else ""
