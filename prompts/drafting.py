"""The drafting service's types, the template drafter, and the factory that picks a drafter.

Every card and brief has content: the LLM drafter falls back to the template drafter on any
failure, and the result says which one wrote it and why a human should look closer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Protocol

from prompts.rendering import render
from scoring.types import ContextEvent, FactorScore, Ticket

PROMPT_VERSIONS = {"check_in": "check_in@1", "brief": "brief@1"}
TEMPLATE_AUTHOR = "template"


@dataclass(frozen=True)
class DraftRequest:
    kind: str  # "check_in" in v1
    account_name: str
    segment: str
    arr: float
    owner_name: str
    contact_name: str | None
    score: int
    band: str
    explanation: str
    trigger: str
    reasons: tuple[str, ...]
    crisis: bool  # a crisis context is active: no upbeat or celebratory tone
    facts: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class BriefRequest:
    account_name: str
    account_id: str
    segment: str
    arr: float
    owner_name: str
    renewal_date: date | None
    score: int
    band: str
    confidence: float
    explanation: str
    factors: tuple[FactorScore, ...]
    notes: tuple[str, ...]
    recent_tickets: tuple[Ticket, ...]
    context: tuple[ContextEvent, ...]
    open_signals: tuple[str, ...]
    as_of: date | None = None
    score_trend: tuple[tuple[date, int], ...] = ()


@dataclass(frozen=True)
class DraftResult:
    subject: str
    body: str
    author: str  # "template" or "llm:<model>"
    prompt_version: str
    facts_hash: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    needs_review: str | None = None


class Drafter(Protocol):
    def draft(self, request: DraftRequest) -> DraftResult: ...

    def brief(self, request: BriefRequest) -> DraftResult: ...


def facts_hash(request: DraftRequest | BriefRequest, prompt_version: str) -> str:
    canonical = json.dumps({"v": prompt_version, "facts": asdict(request)}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def money(amount: float) -> str:
    return f"${amount:,.0f}"


REASON_PARAGRAPHS = {
    "health_low": "I noticed that {account}'s use of the product has changed recently ({usage}), and I'd like to make sure you are getting what you need from it.",
    "sentiment": "I saw that some recent support requests from your team have been frustrating, and I want to make sure they get resolved properly.",
}
REASON_PARAGRAPHS["health_drop"] = REASON_PARAGRAPHS["health_low"]
DEFAULT_REASON = "I'd like to check in on how things are going for {account}."


def check_in_context(request: DraftRequest) -> dict[str, Any]:
    usage = str(request.facts.get("usage", "usage has dropped"))
    paragraph = REASON_PARAGRAPHS.get(request.trigger, DEFAULT_REASON)
    return {
        "contact_name": request.contact_name,
        "crisis": request.crisis,
        "account_name": request.account_name,
        "owner_name": request.owner_name,
        "reason_paragraph": paragraph.format(account=request.account_name, usage=usage),
    }


def brief_context(request: BriefRequest) -> dict[str, Any]:
    as_of = request.as_of or date.today()
    renewal_text = ""
    if request.renewal_date:
        days = (request.renewal_date - as_of).days
        renewal_text = (
            f"{request.renewal_date.isoformat()} ({days} days away)"
            if days >= 0
            else f"{request.renewal_date.isoformat()} (passed)"
        )
    trend_text = ""
    if len(request.score_trend) >= 2:
        first_day, first = request.score_trend[0]
        trend_text = f"{request.score - first:+d} since {first_day.isoformat()}"
    tickets = sorted(request.recent_tickets, key=lambda t: t.opened_at, reverse=True)[:5]
    ticket_lines = [
        f"{t.opened_at.date().isoformat()} [{t.severity.value}] {t.subject}{' (escalation request)' if t.is_escalation_request else ''}{'' if t.closed_at else ' — open'}"
        for t in tickets
    ]
    context_lines = [
        f"{c.kind.value.replace('_', ' ')} since {c.starts_at.date().isoformat()}{': ' + c.note if c.note else ''}"
        for c in request.context
    ]
    return {
        **{
            k: getattr(request, k)
            for k in ("account_name", "account_id", "segment", "owner_name", "score", "band")
        },
        "confidence": request.confidence,
        "explanation": request.explanation,
        "factors": request.factors,
        "notes": request.notes,
        "arr_text": money(request.arr),
        "trend_text": trend_text,
        "renewal_text": renewal_text,
        "context_lines": context_lines,
        "ticket_lines": ticket_lines,
        "open_signals": request.open_signals,
        "next_step": next_step(request),
    }


def next_step(request: BriefRequest) -> str:
    kinds = {c.kind.value for c in request.context}
    if kinds & {"security_incident", "layoffs", "merger", "champion_change"}:
        return "Hold automated outreach; the CSM calls the champion to ask how we can help."
    if request.notes and any("unreliable" in note for note in request.notes):
        return "Confirm the data issue with the customer's admin before any risk outreach."
    if request.band == "red":
        return "A personal call from the CSM this week, with a plan for the weakest factor."
    if request.band == "yellow":
        return "A check-in within two weeks focused on the weakest factor."
    return "No action needed; look for expansion at the next business review."


class TemplateDrafter:
    """Writes every kind from Jinja2 templates and the facts alone; no network."""

    def draft(self, request: DraftRequest) -> DraftResult:
        version = PROMPT_VERSIONS.get(request.kind, f"{request.kind}@1")
        context = check_in_context(request)
        return DraftResult(
            subject=render("check_in.subject.j2", **context),
            body=render("check_in.txt.j2", **context),
            author=TEMPLATE_AUTHOR,
            prompt_version=version,
            facts_hash=facts_hash(request, version),
        )

    def brief(self, request: BriefRequest) -> DraftResult:
        version = PROMPT_VERSIONS["brief"]
        return DraftResult(
            subject=f"Brief: {request.account_name}",
            body=render("brief.md.j2", **brief_context(request)),
            author=TEMPLATE_AUTHOR,
            prompt_version=version,
            facts_hash=facts_hash(request, version),
        )


def make_drafter(
    *,
    api_key: str | None,
    base_url: str | None,
    model: str,
    timeout_seconds: float = 30.0,
    max_retries: int = 2,
) -> Drafter:
    """The LLM drafter when an API key is configured, else the template drafter."""
    if not api_key:
        return TemplateDrafter()
    from prompts.llm import LLMDrafter

    return LLMDrafter(
        api_key=api_key,
        base_url=base_url,
        model=model,
        timeout_seconds=timeout_seconds,
        max_retries=max_retries,
    )
