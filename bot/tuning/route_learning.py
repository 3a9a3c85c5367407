"""Route and watched-phrase proposals for the weekly `tune propose`: load, then propose.

Reads the last `WINDOW_DAYS` of decisions and tickets as known on `as_of` (storage) and hands
them to the pure proposers (`scoring.learning.route_proposals`), with the rules and phrases the
configuration already holds, so nothing already in force is proposed again.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from scoring.config import TriggerConfig
from scoring.learning.proposal_types import Proposal
from scoring.learning.route_proposals import (
    DEFAULT_ROUTE_RULES,
    RouteProposalRules,
    propose_phrases,
    propose_routes,
)
from storage.repositories.route_learning import load_phrase_texts, load_route_decisions

WINDOW_DAYS = 90
LEAD_DAYS = 30  # a ticket this many days before a take-over or churn counts as preceding it


def route_and_phrase_proposals(
    session: Session,
    *,
    as_of: date,
    config: TriggerConfig,
    rules: RouteProposalRules = DEFAULT_ROUTE_RULES,
) -> list[Proposal]:
    """Route proposals (to a person, then automated), then watched phrases, as of `as_of`."""
    since = as_of - timedelta(days=WINDOW_DAYS - 1)
    decisions = load_route_decisions(session, since=since, as_of=as_of)
    positive, baseline = load_phrase_texts(session, since=since, as_of=as_of, lead_days=LEAD_DAYS)
    routes = propose_routes(decisions, rules=rules, existing=config.routing.rules)
    phrases = propose_phrases(positive, baseline, watched=config.triggers.sentiment.frustration_phrases)
    return [*routes, *phrases]
