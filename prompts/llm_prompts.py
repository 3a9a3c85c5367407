"""The LLM's messages for each kind: a system prompt, a user prompt with the facts as JSON, and
customer-written text fenced apart as quoted data. Pure: renders text, calls nothing.

`Prompt.known_numbers` are the figures the model was given as facts (never those of quoted
customer text), so validation can refuse a draft that invents one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from prompts.draft_types import BriefRequest, DraftRequest, plain
from prompts.rendering import render
from prompts.template_drafter import MAX_BRIEF_TICKETS, brief_context, brief_is_crisis, money
from prompts.validation import numbers_in
from scoring.types import Ticket

MAX_QUOTED_CHARS = 1500
FENCE = re.compile(r"`{3,}")
MARKER = re.compile(r"(END OF )?QUOTED CUSTOMER DATA", re.IGNORECASE)


@dataclass(frozen=True)
class Prompt:
    system: str
    user: str
    crisis: bool
    known_numbers: frozenset[str]


def quoted_ticket(ticket: Ticket) -> dict[str, str]:
    """One ticket as a labelled quote; its text cannot close the fence around it."""
    text = f"Subject: {ticket.subject.strip()}\n\n{ticket.body.strip()}"
    if len(text) > MAX_QUOTED_CHARS:
        text = text[: MAX_QUOTED_CHARS - 1] + "…"
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


def _facts_json(facts: dict[str, Any]) -> str:
    return json.dumps(plain(facts), indent=2, sort_keys=True, ensure_ascii=False)


def _known(*texts: str, extra: Iterable[str] = ()) -> frozenset[str]:
    known: set[str] = set(extra)
    for text in texts:
        known |= numbers_in(text)
    return frozenset(known)


def check_in_prompt(request: DraftRequest) -> Prompt:
    facts: dict[str, Any] = {
        "account_name": request.account_name,
        "segment": request.segment,
        "arr": money(request.arr),
        "owner_name": request.owner_name,
        "contact_name": request.contact_name,
        "score": request.score,
        "band": request.band,
        "explanation": request.explanation,
        "trigger": request.trigger,
        "crisis": request.crisis,
    }
    quoted: list[dict[str, str]] = []
    for key, value in request.facts.items():
        tickets = _tickets_among(value)
        if tickets is None:
            facts[str(key)] = value
        else:
            facts[str(key)] = [ticket_facts(ticket) for ticket in tickets]
            quoted.extend(quoted_ticket(ticket) for ticket in tickets)
    facts_json = _facts_json(facts)
    system = render("check_in.system.j2", owner_name=request.owner_name, crisis=request.crisis)
    user = render(
        "check_in.user.j2",
        owner_name=request.owner_name,
        contact_name=request.contact_name,
        account_name=request.account_name,
        trigger=request.trigger,
        reasons=request.reasons,
        facts_json=facts_json,
        quoted=quoted,
    )
    known = _known(system, facts_json, *request.reasons, extra=numbers_in(str(request.arr)))
    return Prompt(system=system, user=user, crisis=request.crisis, known_numbers=known)


def brief_prompt(request: BriefRequest) -> Prompt:
    context = brief_context(request)
    tickets = sorted(request.recent_tickets, key=lambda t: t.opened_at, reverse=True)[:MAX_BRIEF_TICKETS]
    facts = {key: value for key, value in context.items() if key != "ticket_lines"}
    facts["as_of"] = request.as_of
    facts["renewal_date"] = request.renewal_date
    facts["score_trend"] = request.score_trend
    facts["recent_tickets"] = [ticket_facts(ticket) for ticket in tickets]
    facts_json = _facts_json(facts)
    crisis = brief_is_crisis(request)
    system = render("brief.system.j2", crisis=crisis)
    user = render(
        "brief.user.j2",
        account_name=request.account_name,
        account_id=request.account_id,
        facts_json=facts_json,
        quoted=[quoted_ticket(ticket) for ticket in tickets],
    )
    return Prompt(system=system, user=user, crisis=crisis, known_numbers=_known(system, facts_json))
