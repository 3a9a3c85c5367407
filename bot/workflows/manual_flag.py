"""`/flag ACCOUNT: why`: a CSM flags an account Tandem missed; it becomes a card for a person."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.workflows.account_lookup import resolve_account
from bot.workflows.card_posting import post_owed_cards
from bot.workflows.cycle import active_trigger_config
from bot.workflows.refused import Refused
from scoring.config import TriggerConfig
from scoring.health import score_account
from scoring.routing import route_signal
from scoring.types import Decision, Route, Signal, TriggerKey
from storage.db import transaction
from storage.models import Account
from storage.repositories import cards, signals, snapshots
from storage.repositories.facts import book_facts, load_account_facts

# "Acme Corp: champion left", "Acme Corp | champion left", "Acme Corp — champion left"
SEPARATOR = re.compile(r"\s*(?:\||:|—|–|\s-\s)\s*")
USAGE = "Usage: `/flag ACCOUNT: why` — e.g. `/flag Acme Corp: their champion left last week`."


@dataclass(frozen=True)
class Flagged:
    account_name: str
    owner_slack_id: str
    route: Route


def parse(text: str) -> tuple[str, str]:
    """(account query, reason); the reason may be empty."""
    parts = SEPARATOR.split(text.strip(), maxsplit=1)
    return parts[0].strip(), (parts[1].strip() if len(parts) > 1 else "")


def flag_account(deps: Deps, *, text: str, actor: str) -> Flagged | Refused:
    query, reason = parse(text)
    if not query:
        return Refused(USAGE)
    if not reason:
        return Refused(f"Say why, so the card tells the story: `/flag {query}: what you noticed`.")
    return flag(deps, query=query, reason=reason, actor=actor)


def flag(deps: Deps, *, query: str, reason: str, actor: str) -> Flagged | Refused:
    """Flag the account `query` names (an id names exactly one), for `actor`, with `reason`:
    `/flag`'s workflow, also the one a flag confirmed in the assistant runs."""
    now = deps.clock.now()
    version, config = active_trigger_config(deps)
    with transaction(deps.session_factory) as session:
        outcome = _record_flag(
            session, query=query, reason=reason, actor=actor, now=now, version=version, config=config
        )
    if isinstance(outcome, tuple):
        flagged, card_id = outcome
        post_owed_cards(deps, card_id=card_id)  # after the commit: the card is owed, then posted once
        return flagged
    return outcome


def _record_flag(
    session: Session,
    *,
    query: str,
    reason: str,
    actor: str,
    now: datetime,
    version: int,
    config: TriggerConfig,
) -> tuple[Flagged, int] | Refused:
    """The flag's signal and card, in the caller's transaction; or why it was refused."""
    as_of = now.date()
    account = resolve_account(
        session, query=query, actor=actor, command="/flag", action="flag it", outcome="Nothing was changed."
    )
    if not isinstance(account, Account):
        return Refused(account.message())
    facts = load_account_facts(session, as_of=as_of, account_ids=[account.account_id])[0]
    health = score_account(facts, as_of=as_of, config=config)
    snapshots.save_snapshots(session, results=[health], config_version=version)
    signal = Signal(
        account.account_id,
        TriggerKey.MANUAL_FLAG,
        f"Flagged by <@{actor}>: {reason}",
        {
            "flagged_by": actor,
            "reason": reason,
            "score": health.score,
            "band": health.band.value,
            "mentions": [actor],
        },  # the card renders Tandem's "Flagged by <@…>" as a mention
    )
    decision: Decision = route_signal(
        facts, signal, book=book_facts(session), as_of=as_of, config=config, sentiment_fired=False
    )
    row, created = signals.record_signal(
        session, decision=decision, as_of=as_of, now=now, config_version=version
    )
    if not created:
        return Refused(
            f"{account.name} was already flagged today; the card is with <@{account.owner_slack_id}>."
        )
    card = cards.create_card(
        session, signal_id=row.id, account_id=account.account_id, draft_id=None,
        recipient_slack_id=account.owner_slack_id, now=now,
    )  # fmt: skip
    return Flagged(account.name, account.owner_slack_id, decision.route), card.id
