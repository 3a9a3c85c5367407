"""Drafting requests of every kind for every account of a seeded book, as the app builds them.

The benchmark and the prompt-budget tests measure prompts on these. Outreach requests go
through `draft_request_for` with a decision per kind whose signal carries the details the
cycle's triggers give (days to renewal, the overdue step, expansion readiness, evidence); the
account brief and the QBR brief through the `/brief` and `/qbr` workflows' own builders.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from bot.clock import FrozenClock
from bot.deps import Deps
from bot.settings import Settings
from bot.workflows.brief import brief_request
from bot.workflows.cycle import active_trigger_config, score_all
from bot.workflows.cycle_plan import evidence_lines, with_evidence
from bot.workflows.draft_requests import draft_request_for
from bot.workflows.qbr import qbr_request
from prompts.drafting import BriefRequest, Drafter, DraftRequest, QBRRequest, TemplateDrafter
from scoring.decisions import decide
from scoring.health import score_account
from scoring.types import AccountFacts, Decision, HealthResult, Reason, Route, Signal, TriggerKey
from storage.models import Account, User
from storage.repositories.facts import book_facts, load_account_facts
from storage.synthetic import generate_book
from tests.support.recording_poster import RecordingPoster

OUTREACH = {"check_in": TriggerKey.HEALTH_LOW, "renewal_reminder": TriggerKey.RENEWAL_REMINDER,
            "onboarding_nudge": TriggerKey.ONBOARDING_STALLED, "expansion_note": TriggerKey.EXPANSION_READY}  # fmt: skip
HISTORY_EVERY_DAYS = 7


@dataclass
class SeededRequests:
    outreach: dict[str, list[DraftRequest]]
    briefs: list[BriefRequest]
    qbrs: list[QBRRequest]

    def by_kind(self) -> Iterator[tuple[str, list[DraftRequest] | list[BriefRequest] | list[QBRRequest]]]:
        yield from self.outreach.items()
        yield "brief", self.briefs
        yield "qbr", self.qbrs


def seeded_deps(session_factory: object, *, as_of: date, drafter: Drafter | None = None) -> Deps:
    clock = FrozenClock(datetime.combine(as_of, time(9), tzinfo=UTC))
    return Deps(settings=Settings(), session_factory=session_factory, clock=clock,  # type: ignore[call-arg, arg-type]
                drafter=drafter or TemplateDrafter(), poster=RecordingPoster())  # fmt: skip


def seed_with_history(deps: Deps, *, accounts: int, as_of: date, seed: int = 7) -> None:
    """A seeded book with a weekly score for the 90 days before `as_of` (the QBR's health line)."""
    generate_book(deps.session_factory, accounts=accounts, seed=seed, as_of=as_of)
    for days_back in range(91 - HISTORY_EVERY_DAYS, 0, -HISTORY_EVERY_DAYS):
        score_all(deps, as_of=as_of - timedelta(days=days_back))
    score_all(deps, as_of=as_of)


def _details(kind: str, account: AccountFacts, health: HealthResult, as_of: date) -> dict[str, object] | None:
    if kind == "renewal_reminder":
        if account.renewal_date is None:
            return None
        return {
            "renewal_date": account.renewal_date.isoformat(),
            "days_to_renewal": (account.renewal_date - as_of).days,
        }
    if kind == "onboarding_nudge":
        overdue = sorted((m for m in account.milestones if m.completed_at is None and m.due_date < as_of),
                         key=lambda m: m.due_date)  # fmt: skip
        if not overdue:
            return None
        return {"overdue_step": overdue[0].step, "overdue_days": (as_of - overdue[0].due_date).days}
    if kind == "expansion_note":
        return {"expansion_readiness": health.expansion_readiness or 0, "sales_contact": "#sales"}
    return {"score": health.score, "band": health.band.value}


def build_seeded_requests(deps: Deps, *, as_of: date) -> SeededRequests:
    _, config = active_trigger_config(deps)
    with deps.session_factory() as session:
        facts = load_account_facts(session, as_of=as_of)
        book = book_facts(session)
        owners = {u.slack_id: u.name for u in session.scalars(select(User))}
        accounts = {a.account_id: a for a in session.scalars(select(Account))}
    result = SeededRequests({kind: [] for kind in OUTREACH}, [], [])
    for account in facts:
        health = score_account(account, as_of=as_of, config=config)
        real = decide(account, health, book=book, as_of=as_of, config=config)
        reasons = real[0].reasons if real else (Reason("assist", "Human with automation assist."),)
        for kind, trigger in OUTREACH.items():
            details = _details(kind, account, health, as_of)
            if details is None:
                continue
            decision = with_evidence(
                Decision(Signal(account.account_id, trigger, "", details), Route.ASSIST, reasons),
                evidence_lines(account, health, config),
            )
            owner = owners.get(account.owner_slack_id, "your CSM")
            result.outreach[kind].append(draft_request_for(account, health, decision, owner_name=owner))
        row = accounts[account.account_id]
        result.briefs.append(brief_request(deps, row))
        result.qbrs.append(qbr_request(deps, row)[0])
    return result
