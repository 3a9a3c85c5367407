"""`/brief ACCOUNT`: find the account the asker may see (`account_lookup`), score it now, and
have the drafter write the brief (or reuse the stored one for the same facts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from bot.blocks.citation import Citation
from bot.conversations.citations import citations, cited_ids, fetch_permalinks
from bot.deps import Deps
from bot.posting import SlackPoster
from bot.workflows.account_lookup import Unresolved, resolve_account
from bot.workflows.cycle import active_trigger_config
from bot.workflows.draft_step import write_brief
from prompts.drafting import BriefRequest, DraftResult
from scoring.decisions import decide
from scoring.health import score_account
from scoring.types import Decision
from storage.models import Account, User
from storage.repositories import snapshots
from storage.repositories.facts import book_facts, load_account_facts

RECENT_TICKET_DAYS = 30
TREND_DAYS = 90


@dataclass(frozen=True)
class Brief:
    account: Account
    result: DraftResult
    citations: tuple[Citation, ...] = ()  # channel messages today's signals cite (never drafted from)


def owner_name(session: Session, account: Account) -> str:
    owner = session.get(User, account.owner_slack_id)
    return owner.name if owner else account.owner_slack_id


def brief_request(deps: Deps, account: Account) -> BriefRequest:
    """The account brief's facts, scored now, read in one short session."""
    return brief_inputs(deps, account)[0]


def brief_inputs(deps: Deps, account: Account) -> tuple[BriefRequest, list[Decision]]:
    """The brief's request and the decisions it was scored into (their signals cite messages)."""
    as_of = deps.clock.now().date()
    _, config = active_trigger_config(deps)
    with deps.session_factory() as session:
        facts = load_account_facts(
            session,
            as_of=as_of,
            account_ids=[account.account_id],
            conversations=config.conversations,
            now=deps.clock.now(),
        )[0]
        book = book_facts(session)
        owner = owner_name(session, account)
        trend = snapshots.score_history(
            session, account_id=account.account_id, since=as_of - timedelta(days=TREND_DAYS)
        )
    health = score_account(facts, as_of=as_of, config=config)
    decisions = decide(facts, health, book=book, as_of=as_of, config=config)
    since = as_of - timedelta(days=RECENT_TICKET_DAYS)
    request = BriefRequest(
        account_name=account.name,
        account_id=account.account_id,
        segment=account.segment,
        arr=account.arr,
        owner_name=owner,
        renewal_date=account.renewal_date,
        score=health.score,
        band=health.band.value,
        confidence=health.confidence,
        explanation=health.explanation,
        factors=health.factors,
        notes=health.notes,
        recent_tickets=tuple(t for t in facts.tickets if t.opened_at.date() >= since or t.closed_at is None),
        context=tuple(c for c in facts.context if c.ends_at is None or c.ends_at.date() >= since),
        open_signals=tuple(f"{d.trigger.value} → {d.route.value}: {d.reason_sentence}" for d in decisions),
        as_of=as_of,
        score_trend=tuple((day, score) for day, score in trend if day < as_of),
    )
    return request, decisions


def build_brief(deps: Deps, *, query: str, actor: str) -> Brief | Unresolved:
    with deps.session_factory() as session:
        found = resolve_account(session, query=query, actor=actor)
    if not isinstance(found, Account):
        return found
    request, decisions = brief_inputs(deps, found)
    ids = [message_id for d in decisions for message_id in cited_ids(d.signal.details)]
    client = deps.poster.client if isinstance(deps.poster, SlackPoster) else None
    fetch_permalinks(client, deps.session_factory, message_ids=ids)
    with deps.session_factory() as session:
        cited = citations(session, {"messages": [{"message_id": i} for i in ids]})
    return Brief(found, write_brief(deps, request, account_id=found.account_id), cited)
