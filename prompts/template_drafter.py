"""The template drafter: check-ins and briefs from Jinja2 templates and the request's facts alone.

No network and no invention: every figure in a template draft comes from the request. It is the
default when no LLM is configured, and the LLM drafter's fallback.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from prompts.draft_types import (
    TEMPLATE_AUTHOR,
    BriefRequest,
    DraftRequest,
    DraftResult,
    facts_hash,
    prompt_version,
)
from prompts.rendering import render
from scoring.types import COMPLEXITY_CONTEXT, CRISIS_CONTEXT, DATA_QUALITY_CONTEXT, ContextEvent, Ticket

MAX_BRIEF_TICKETS = 5
MAX_SUBJECT_CHARS = 120
FACTOR_NAMES = ("usage", "support", "billing", "engagement", "onboarding")


def money(amount: float) -> str:
    return f"${amount:,.0f}"


def one_line(text: str, limit: int = MAX_SUBJECT_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def brief_day(request: BriefRequest) -> date:
    return request.as_of or datetime.now(UTC).date()


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


def active_context(request: BriefRequest) -> tuple[ContextEvent, ...]:
    moment = _end_of(brief_day(request))
    return tuple(event for event in request.context if event.active_on(moment))


def brief_is_crisis(request: BriefRequest) -> bool:
    return any(event.kind in CRISIS_CONTEXT for event in active_context(request))


def check_in_context(request: DraftRequest) -> dict[str, Any]:
    """What the check-in templates may say: names, the trigger and the factor details given."""
    # A customer email quotes a factor's main figure only (the part before any ";").
    details = {name: _first_clause(_text(request.facts.get(name))) for name in FACTOR_NAMES}
    return {
        "contact_name": request.contact_name,
        "owner_name": request.owner_name,
        "account_name": request.account_name,
        "trigger": request.trigger,
        "crisis": request.crisis,
        "renewal_date": _text(request.facts.get("renewal_date")),
        **details,
    }


def _text(value: object) -> str | None:
    if value is None or isinstance(value, Ticket | tuple | list | dict):
        return None
    text = value.isoformat() if isinstance(value, date) else str(value)
    return text.strip() or None


def _first_clause(text: str | None) -> str | None:
    if not text:
        return None
    return text.split(";", 1)[0].strip() or None


def renewal_text(request: BriefRequest) -> str:
    if request.renewal_date is None:
        return ""
    days = (request.renewal_date - brief_day(request)).days
    when = request.renewal_date.isoformat()
    if days > 0:
        return f"{when} ({days} days left)"
    return f"{when} (today)" if days == 0 else f"{when} (passed {-days} days ago)"


def trend_text(request: BriefRequest) -> str:
    if not request.score_trend:
        return ""
    first_day, first_score = request.score_trend[0]
    return f"{request.score - first_score:+d} since {first_day.isoformat()}"


def ticket_line(ticket: Ticket) -> str:
    flags = [] if ticket.closed_at else ["open"]
    if ticket.is_escalation_request:
        flags.append("escalation request")
    extra = f" ({', '.join(flags)})" if flags else ""
    return (
        f"{ticket.opened_at.date().isoformat()} · {ticket.severity.value} · {one_line(ticket.subject)}{extra}"
    )


def context_line(event: ContextEvent, active: bool) -> str:
    words = f"{event.kind.value.replace('_', ' ')} since {event.starts_at.date().isoformat()}"
    if event.ends_at is not None:
        words += f", {'until' if active else 'ended'} {event.ends_at.date().isoformat()}"
    return words + (f": {one_line(event.note)}" if event.note else "")


def next_step(request: BriefRequest) -> str:
    """One suggested action, from the most to the least constraining situation."""
    kinds = {event.kind for event in active_context(request)}
    weakest = min(request.factors, key=lambda factor: factor.score, default=None)
    focus = f" ({weakest.name}: {weakest.detail})" if weakest else ""
    if kinds & CRISIS_CONTEXT:
        return "Hold automated outreach; the CSM calls the main contact to ask how we can help, with no sales agenda."
    if kinds & DATA_QUALITY_CONTEXT or request.notes:
        return "Check the data first: confirm the data-quality notes above before any risk outreach."
    if len(kinds & COMPLEXITY_CONTEXT) >= 2:
        return "Escalate now: the CSM and their manager agree an owner and a plan with the customer."
    if request.band == "red":
        return f"A personal call from the CSM this week, with a plan for the weakest factor{focus}."
    if request.band == "yellow":
        return f"A check-in within two weeks, focused on the weakest factor{focus}."
    return "No action needed; look for expansion at the next business review."


def brief_context(request: BriefRequest) -> dict[str, Any]:
    """Everything the brief shows, already in words (shared by the template and the LLM facts)."""
    active = active_context(request)
    tickets = sorted(request.recent_tickets, key=lambda t: t.opened_at, reverse=True)[:MAX_BRIEF_TICKETS]
    return {
        "account_name": request.account_name,
        "account_id": request.account_id,
        "segment": request.segment.replace("_", " "),
        "owner_name": request.owner_name,
        "arr_text": money(request.arr),
        "score": request.score,
        "band": request.band,
        "confidence_percent": round(request.confidence * 100),
        "trend_text": trend_text(request),
        "explanation": request.explanation,
        "factors": [
            {
                "name": factor.name,
                "score": round(factor.score),
                "weight_percent": round(factor.weight * 100),
                "detail": factor.detail,
            }
            for factor in sorted(request.factors, key=lambda f: f.score)
        ],
        "notes": list(request.notes),
        "ticket_lines": [ticket_line(ticket) for ticket in tickets],
        "context_lines": [context_line(event, event in active) for event in request.context],
        "renewal_text": renewal_text(request),
        "open_signals": list(request.open_signals),
        "next_step": next_step(request),
    }


class TemplateDrafter:
    """Writes every kind from Jinja2 templates and the facts alone; no network."""

    def draft(self, request: DraftRequest) -> DraftResult:
        version = prompt_version(request.kind)
        context = check_in_context(request)
        return DraftResult(
            subject=render("check_in.subject.j2", **context),
            body=render("check_in.txt.j2", **context),
            author=TEMPLATE_AUTHOR,
            prompt_version=version,
            facts_hash=facts_hash(request, version),
        )

    def brief(self, request: BriefRequest) -> DraftResult:
        version = prompt_version("brief")
        return DraftResult(
            subject=f"Brief: {request.account_name}",
            body=render("brief.md.j2", **brief_context(request)),
            author=TEMPLATE_AUTHOR,
            prompt_version=version,
            facts_hash=facts_hash(request, version),
        )
