"""The sections of each brief, in order, and the header lines both drafters share.

The header is facts only (account, ARR, CSM, health, renewal), rendered by us on every brief;
the sections are what the template or the LLM writes, claim by claim, with citations.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from prompts.brief_document import Source
from prompts.draft_types import BriefRequest, QBRRequest
from prompts.qbr_sources import window_start
from prompts.sources import (
    context_sources,
    factor_sources,
    health_source,
    money,
    note_sources,
    renewal_source,
    signal_sources,
    ticket_sources,
    trend_source,
)

BRIEF_SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Summary"),
    ("health", "Health and why"),
    ("support", "Support"),
    ("risks", "Context and risks"),
    ("next_steps", "Suggested next steps"),
)
QBR_SECTIONS: tuple[tuple[str, str], ...] = (
    ("executive_summary", "Executive summary"),
    ("usage_and_adoption", "Usage and adoption"),
    ("value_delivered", "Value delivered"),
    ("support_history", "Support history"),
    ("health_trend", "Health trend"),
    ("risks", "Risks"),
    ("expansion_opportunities", "Expansion opportunities"),
    ("agenda", "Proposed agenda"),
)
# Sections a brief may not leave empty (the others say "nothing on record").
REQUIRED_SECTIONS = frozenset({"summary", "next_steps", "executive_summary", "agenda"})
BRIEF_TREND_DAYS = 90


def brief_day(request: BriefRequest) -> date:
    return request.as_of or datetime.now(UTC).date()


def brief_sources(request: BriefRequest) -> tuple[Source, ...]:
    day = brief_day(request)
    single = [
        health_source(score=request.score, band=request.band, confidence=request.confidence, as_of=day),
        trend_source(request.score_trend, score=request.score, as_of=day, window_days=BRIEF_TREND_DAYS),
        *factor_sources(request.factors, day),
        *note_sources(request.notes),
        *ticket_sources(request.recent_tickets),
        *context_sources(request.context, day),
        renewal_source(request.renewal_date, day),
        *signal_sources(request.open_signals),
    ]
    return tuple(source for source in single if source is not None)


def brief_header(request: BriefRequest) -> tuple[str, ...]:
    segment = request.segment.replace("_", " ")
    return (
        f"{request.account_id} · {segment} · ARR {money(request.arr)} · CSM {request.owner_name}",
        f"Health {request.score} ({request.band}) · confidence {round(request.confidence * 100)}%",
        f"Renewal: {renewal_source(request.renewal_date, brief_day(request)).text}",
    )


def qbr_header(request: QBRRequest) -> tuple[str, ...]:
    segment = request.segment.replace("_", " ")
    lines = [
        f"{request.account_id} · {segment} · ARR {money(request.arr)} · CSM {request.owner_name}",
        f"Period reviewed: {window_start(request).isoformat()} to {request.as_of.isoformat()}",
        f"Health {request.score} ({request.band}) · confidence {round(request.confidence * 100)}%",
        f"Renewal: {renewal_source(request.renewal_date, request.as_of).text}",
    ]
    if request.contract_start is not None:
        lines.insert(1, f"Customer since {request.contract_start.isoformat()}")
    return tuple(lines)
