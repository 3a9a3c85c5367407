"""The LLM's messages for each kind: a system prompt, a user prompt with the facts as JSON, and
customer-written text fenced apart as quoted data. Pure: renders text, calls nothing.

`Prompt.known_numbers` are the figures the model was given as facts (never those of quoted
customer text), so validation can refuse a draft that invents one; `quoted` keeps the customer
text itself, so validation can tell when a draft copies it (what an injected instruction does).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from prompts.brief_document import Source
from prompts.brief_sections import (
    BRIEF_SECTIONS,
    QBR_SECTIONS,
    REQUIRED_SECTIONS,
    brief_day,
    brief_header,
    brief_sources,
    qbr_header,
)
from prompts.budget import budget_for, fit_quotes
from prompts.draft_types import BRIEF, QBR, BriefRequest, DraftRequest, QBRRequest, outreach_kind, plain
from prompts.qbr_sources import qbr_sources, window_start
from prompts.rendering import render
from prompts.sources import crisis_events, money
from prompts.tone import Register, document_register, register_for
from prompts.validation import numbers_in
from scoring.types import Ticket

MAX_QUOTED_CHARS = 700
MAX_OUTREACH_QUOTES = 3
MAX_BRIEF_QUOTES = 5
MAX_WORDS = {"check_in": 150, "renewal_reminder": 130, "onboarding_nudge": 130, "expansion_note": 180}
FENCE = re.compile(r"`{3,}")
MARKER = re.compile(r"(END OF )?QUOTED CUSTOMER DATA", re.IGNORECASE)
SCALE = ("100",)  # scores and readiness are out of 100 ("86/100"): the scale is no invented figure
KIND_WORDS = {
    "check_in": "check-in",
    "renewal_reminder": "renewal reminder",
    "onboarding_nudge": "onboarding",
}


@dataclass(frozen=True)
class Prompt:
    system: str
    user: str
    crisis: bool
    known_numbers: frozenset[str]
    kind: str = "check_in"
    register: Register | None = None
    facts_text: str = ""  # everything the model was told as fact (links and promises are checked against it)
    quoted: tuple[str, ...] = ()  # the customer text it saw (never facts)
    sources: tuple[Source, ...] = ()  # briefs: what claims may cite
    header: tuple[str, ...] = ()
    sections: tuple[tuple[str, str], ...] = field(default=())


def quoted_ticket(ticket: Ticket, limit: int = MAX_QUOTED_CHARS) -> dict[str, str]:
    """One ticket as a labelled quote; its text cannot close the fence around it."""
    text = f"Subject: {ticket.subject.strip()}\n\n{ticket.body.strip()}"
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    label = (
        f"Ticket {ticket.ticket_id} (opened {ticket.opened_at.date().isoformat()}, {ticket.severity.value})"
    )
    return {"label": label, "text": MARKER.sub("(marker removed)", FENCE.sub("'''", text))}


def ticket_facts(ticket: Ticket) -> dict[str, object]:
    """What we know about a ticket ourselves (the customer's words go in the quoted block)."""
    return {
        "ticket_id": ticket.ticket_id,
        "opened": ticket.opened_at.date().isoformat(),
        "severity": ticket.severity.value,
        "open": ticket.closed_at is None,
        "escalation_request": ticket.is_escalation_request,
    }


def _tickets_among(value: object) -> list[Ticket] | None:
    if isinstance(value, Ticket):
        return [value]
    if isinstance(value, tuple | list) and value and all(isinstance(item, Ticket) for item in value):
        return list(value)
    return None


def facts_json(facts: Mapping[str, Any] | list[Any]) -> str:
    """Compact JSON, one entry a line: structured for the model, light on tokens."""
    data = plain(facts)
    if isinstance(data, dict):
        items = [
            f"{json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}"
            for k, v in sorted(data.items())
        ]
        return "{\n" + ",\n".join(items) + "\n}"
    assert isinstance(data, list)
    return "[\n" + ",\n".join(json.dumps(item, ensure_ascii=False) for item in data) + "\n]"


def _known(*texts: str, extra: Iterable[str] = ()) -> frozenset[str]:
    known: set[str] = set(extra)
    for text in texts:
        known |= numbers_in(text)
    return frozenset(known)


def outreach_tickets(request: DraftRequest) -> tuple[Ticket, ...]:
    found = list(request.tickets)
    for value in request.facts.values():
        found += [t for t in (_tickets_among(value) or []) if t not in found]
    return tuple(found)


def outreach_register(request: DraftRequest) -> Register:
    kind = outreach_kind(request.kind)
    return register_for(crisis=request.crisis, internal=kind == "expansion_note",
                        tickets=outreach_tickets(request), trigger=request.trigger)  # fmt: skip


def outreach_prompt(request: DraftRequest) -> Prompt:
    """Check-in, renewal reminder, onboarding nudge or expansion note."""
    kind = outreach_kind(request.kind)
    register = outreach_register(request)
    facts: dict[str, Any] = {
        "account_name": request.account_name, "segment": request.segment, "arr": money(request.arr),
        "owner_name": request.owner_name, "contact_name": request.contact_name, "score": request.score,
        "band": request.band, "explanation": request.explanation, "trigger": request.trigger,
        "crisis": request.crisis, "tone": register.key,
    }  # fmt: skip
    for key, value in request.facts.items():
        if _tickets_among(value) is None:
            facts[str(key)] = value
    for key, value in request.details.items():
        if key not in ("score", "band"):
            facts[str(key)] = value
    tickets = sorted(outreach_tickets(request), key=lambda t: t.opened_at, reverse=True)
    if tickets:
        facts["recent_tickets"] = [ticket_facts(t) for t in tickets]
    text = facts_json(facts)
    quotes = [quoted_ticket(t) for t in tickets[:MAX_OUTREACH_QUOTES]]
    system = render("outreach.system.j2", kind=kind, owner_name=request.owner_name, trigger=request.trigger,
                    register=register, max_words=MAX_WORDS[kind])  # fmt: skip

    def user_for(kept: list[dict[str, str]]) -> tuple[str, str]:
        user = render("outreach.user.j2", kind=kind, kind_words=KIND_WORDS.get(kind, kind), owner_name=request.owner_name,
                      contact_name=request.contact_name, account_name=request.account_name, trigger=request.trigger,
                      reasons=request.reasons, facts_json=text, quoted=kept,
                      sales_contact=request.details.get("sales_contact"))  # fmt: skip
        return system, user

    _, (_, user) = fit_quotes(quotes, budget=budget_for(kind), render=user_for)
    known = _known(system, text, *request.reasons, extra={*numbers_in(str(request.arr)), *SCALE})
    facts_text = "\n".join([system, text, *request.reasons])
    return Prompt(system=system, user=user, crisis=request.crisis, known_numbers=known, kind=kind,
                  register=register, facts_text=facts_text, quoted=tuple(t.subject + "\n" + t.body for t in tickets))  # fmt: skip


# The v1 name: every outreach kind goes through outreach_prompt.
check_in_prompt = outreach_prompt


def _document_prompt(
    *, kind: str, account_name: str, account_id: str, sources: tuple[Source, ...], header: tuple[str, ...],
    sections: tuple[tuple[str, str], ...], register: Register, tickets: list[Ticket], period: str,
) -> Prompt:  # fmt: skip
    facts: list[Any] = [{"header": list(header)}]
    facts += [{"id": s.id, "label": s.label, "text": s.text} for s in sources]
    text = facts_json(facts)
    required = [key for key, _ in sections if key in REQUIRED_SECTIONS]
    system = render("document.system.j2", kind=kind, register=register, sections=sections, required=required)
    quotes = [quoted_ticket(t) for t in tickets[:MAX_BRIEF_QUOTES]]

    def user_for(kept: list[dict[str, str]]) -> tuple[str, str]:
        user = render("document.user.j2", kind=kind, account_name=account_name, account_id=account_id,
                      period=period, facts_json=text, quoted=kept)  # fmt: skip
        return system, user

    _, (_, user) = fit_quotes(quotes, budget=budget_for(kind), render=user_for)
    return Prompt(
        system=system, user=user, crisis=register.key == "crisis", known_numbers=_known(system, text),
        kind=kind, register=register, facts_text=system + "\n" + text,
        quoted=tuple(t.subject + "\n" + t.body for t in tickets), sources=sources, header=header, sections=sections,
    )  # fmt: skip


def brief_prompt(request: BriefRequest) -> Prompt:
    day = brief_day(request)
    tickets = sorted(request.recent_tickets, key=lambda t: t.opened_at, reverse=True)
    register = document_register(crisis=bool(crisis_events(request.context, day)))
    return _document_prompt(kind=BRIEF, account_name=request.account_name, account_id=request.account_id,
                            sources=brief_sources(request), header=brief_header(request), sections=BRIEF_SECTIONS,
                            register=register, tickets=tickets, period=day.isoformat())  # fmt: skip


def qbr_prompt(request: QBRRequest) -> Prompt:
    tickets = sorted(request.tickets, key=lambda t: t.opened_at, reverse=True)
    register = document_register(crisis=bool(crisis_events(request.context, request.as_of)))
    period = f"{window_start(request).isoformat()} to {request.as_of.isoformat()}"
    return _document_prompt(kind=QBR, account_name=request.account_name, account_id=request.account_id,
                            sources=qbr_sources(request), header=qbr_header(request), sections=QBR_SECTIONS,
                            register=register, tickets=tickets, period=period)  # fmt: skip
