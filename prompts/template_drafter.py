"""The template drafter: every kind from Jinja2 templates and the request's facts alone.

No network and no invention: every figure in a template draft comes from the request. It is the
default when no LLM is configured, and the LLM drafter's fallback, so every card and brief has
content; its author is "template", which every card and brief shows.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from prompts.brief_document import BriefDocument, render_mrkdwn
from prompts.draft_types import (
    TEMPLATE_AUTHOR,
    BriefRequest,
    DraftRequest,
    DraftResult,
    QBRRequest,
    cache_key,
    outreach_kind,
)
from prompts.llm_prompts import outreach_register
from prompts.rendering import render
from prompts.sources import money
from prompts.template_briefs import template_brief, template_qbr
from scoring.types import Ticket

FACTOR_NAMES = ("usage", "support", "billing", "engagement", "onboarding")
MAX_EVIDENCE_LINES = 6


def _text(value: object) -> str | None:
    if value is None or isinstance(value, Ticket | tuple | list | dict):
        return None
    text = value.isoformat() if isinstance(value, date) else str(value)
    return text.strip() or None


def _first_clause(text: str | None) -> str | None:
    if not text:
        return None
    return text.split(";", 1)[0].strip() or None


def _detail(request: DraftRequest, key: str) -> object:
    """A signal detail, else a fact of the same name (older requests carry renewal_date as a fact)."""
    value = request.details.get(key)
    return request.facts.get(key) if value is None else value


def outreach_context(request: DraftRequest) -> dict[str, Any]:
    """What the outreach templates may say: names, the trigger, factor details and signal figures."""
    # A customer email quotes a factor's main figure only (the part before any ";").
    details = {name: _first_clause(_text(request.facts.get(name))) for name in FACTOR_NAMES}
    evidence = request.details.get("evidence")
    lines = (
        [str(line) for line in evidence][:MAX_EVIDENCE_LINES] if isinstance(evidence, list | tuple) else []
    )
    readiness = request.details.get("expansion_readiness")
    return {
        "contact_name": request.contact_name,
        "owner_name": request.owner_name,
        "account_name": request.account_name,
        "segment": request.segment.replace("_", " "),
        "arr": money(request.arr),
        "score": request.score,
        "band": request.band,
        "trigger": request.trigger,
        "crisis": request.crisis,
        "register": outreach_register(request).key,
        "renewal_date": _text(_detail(request, "renewal_date")),
        "days_to_renewal": _text(_detail(request, "days_to_renewal")),
        "overdue_step": _text(_detail(request, "overdue_step")),
        "overdue_days": _text(_detail(request, "overdue_days")),
        "expansion_readiness": readiness if isinstance(readiness, int | float) else None,
        "sales_contact": _text(request.details.get("sales_contact")),
        "evidence": lines,
        **details,
    }


# The v1 name, kept for callers and tests.
check_in_context = outreach_context


def _document_result(document: BriefDocument, key: tuple[str, str, str]) -> DraftResult:
    digest, version, _ = key
    return DraftResult(
        subject=document.title,
        body=render_mrkdwn(document),
        author=TEMPLATE_AUTHOR,
        prompt_version=version,
        facts_hash=digest,
        document=document,
    )


class TemplateDrafter:
    """Writes every kind from Jinja2 templates and the facts alone; no network."""

    author = TEMPLATE_AUTHOR
    max_concurrency = 1  # no I/O: threads would only add overhead

    def draft(self, request: DraftRequest) -> DraftResult:
        kind = outreach_kind(request.kind)
        digest, version, _ = cache_key(request)
        context = outreach_context(request)
        return DraftResult(
            subject=render(f"{kind}.subject.j2", **context),
            body=render(f"{kind}.txt.j2", **context),
            author=TEMPLATE_AUTHOR,
            prompt_version=version,
            facts_hash=digest,
        )

    def brief(self, request: BriefRequest) -> DraftResult:
        return _document_result(template_brief(request), cache_key(request))

    def qbr(self, request: QBRRequest) -> DraftResult:
        return _document_result(template_qbr(request), cache_key(request))
