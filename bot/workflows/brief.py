"""`/brief ACCOUNT`: find the account, score it now, and have the drafter write the brief."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.blocks.mrkdwn import escape
from bot.deps import Deps
from bot.workflows.cycle import active_trigger_config
from prompts.drafting import BriefRequest, DraftResult
from scoring.decisions import decide
from scoring.health import score_account
from storage.models import Account, User
from storage.repositories import snapshots
from storage.repositories.accounts import find_accounts
from storage.repositories.facts import book_facts, load_account_facts

RECENT_TICKET_DAYS = 30
TREND_DAYS = 90


@dataclass(frozen=True)
class Brief:
    account: Account
    result: DraftResult


@dataclass(frozen=True)
class NoMatch:
    query: str
    candidates: tuple[tuple[str, str], ...]  # (name, account id), closest first

    def message(self) -> str:
        """The private reply: No account matches 'acm'. Closest: Acme Corp (ACC-0001), …"""
        said = f"No account matches '{escape(self.query)}'."
        if not self.candidates:
            return f"{said} Try the account's name or id, e.g. `/brief ACC-00042`."
        closest = ", ".join(f"{escape(name)} ({escape(account_id)})" for name, account_id in self.candidates)
        return f"{said} Closest: {closest}"


def build_brief(deps: Deps, *, query: str) -> Brief | NoMatch:
    as_of = deps.clock.now().date()
    _, config = active_trigger_config(deps)
    with deps.session_factory() as session:
        match = find_accounts(session, query=query)
        if match.exact is None:
            return NoMatch(query.strip(), tuple((a.name, a.account_id) for a in match.candidates))
        account = match.exact
        facts = load_account_facts(session, as_of=as_of, account_ids=[account.account_id])[0]
        book = book_facts(session)
        owner = session.get(User, account.owner_slack_id)
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
        owner_name=owner.name if owner else account.owner_slack_id,
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
        score_trend=tuple(trend),
    )
    return Brief(account, deps.drafter.brief(request))
