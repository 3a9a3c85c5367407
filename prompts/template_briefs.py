"""The template drafter's briefs: every section written from the sources alone, each claim
citing the sources it repeats. No network and no invention; the fallback when the LLM fails."""

from __future__ import annotations

from datetime import date

from prompts.brief_document import BriefDocument, Claim, Section, Source
from prompts.brief_sections import (
    BRIEF_SECTIONS,
    QBR_SECTIONS,
    brief_day,
    brief_header,
    brief_sources,
    qbr_header,
)
from prompts.draft_types import BRIEF, QBR, BriefRequest, QBRRequest
from prompts.qbr_sources import qbr_sources
from prompts.sources import crisis_events, is_active, kind_words
from scoring.types import COMPLEXITY_CONTEXT, DATA_QUALITY_CONTEXT, ContextEvent

WEAK_FACTOR = 60  # a factor below this is named as a risk


def _by_kind(sources: tuple[Source, ...], *kinds: str) -> list[Source]:
    return [s for s in sources if s.kind in kinds]


def _find(sources: tuple[Source, ...], source_id: str) -> Source | None:
    return next((s for s in sources if s.id == source_id), None)


def _starting(sources: tuple[Source, ...], prefix: str) -> list[Source]:
    return [s for s in sources if s.id.startswith(prefix) and s.id[len(prefix) :].isdigit()]


def _say(source: Source | None, lead: str = "") -> list[Claim]:
    if source is None:
        return []
    text = f"{lead}{source.text}" if lead else f"{source.label[0].upper()}{source.label[1:]}: {source.text}"
    return [Claim(text, (source.id,))]


def _ticket_claim(source: Source) -> Claim:
    return Claim(f"{source.label[0].upper()}{source.label[1:]}.", (source.id,))


def _context_claims(sources: tuple[Source, ...]) -> list[Claim]:
    return [Claim(f"{s.label[0].upper()}{s.label[1:]} ({s.text}).", (s.id,)) for s in _starting(sources, "E")]


def _event_source(sources: tuple[Source, ...], event: ContextEvent) -> Source | None:
    label = f"{kind_words(event)} since {event.starts_at.date().isoformat()}"
    return next((s for s in _starting(sources, "E") if s.label.startswith(label)), None)


def _why(explanation: str, sources: tuple[Source, ...]) -> Claim:
    """The explanation's headline (before its detail), citing the factor it names first."""
    headline = explanation.split(" — ", 1)[0].strip()
    named = sorted((explanation.find(s.id.removeprefix("F-")), s.id) for s in _starting_f(sources))
    cited = next((sid for position, sid in named if position >= 0), "H1")
    return Claim(f"Why: {headline}", (cited,))


def _weak_factors(sources: tuple[Source, ...]) -> list[Source]:
    weak = []
    for source in _starting_f(sources):
        score = int(source.text.split("/", 1)[0])
        if score < WEAK_FACTOR:
            weak.append(source)
    return weak


def _starting_f(sources: tuple[Source, ...]) -> list[Source]:
    return [s for s in sources if s.id.startswith("F-")]


def _next_steps(
    context: tuple[ContextEvent, ...],
    day_sources: tuple[Source, ...],
    band: str,
    notes: tuple[str, ...],
    day: date,
) -> list[Claim]:
    """One suggested action, from the most to the least constraining situation."""
    active = [e for e in context if is_active(e, day)]
    kinds = {e.kind for e in active}
    crisis = crisis_events(context, day)
    factors = _starting_f(day_sources)
    weakest = factors[0] if factors else None
    focus = (weakest.id,) if weakest else ()
    if crisis:
        cited = tuple(s.id for e in crisis if (s := _event_source(day_sources, e)) is not None)
        return [Claim("Hold automated outreach; the CSM calls the main contact to ask how we can help, "
                      "with no sales agenda.", cited)]  # fmt: skip
    if kinds & DATA_QUALITY_CONTEXT or notes:
        cited = tuple(s.id for s in _starting(day_sources, "N")) or tuple(
            s.id for e in active if e.kind in DATA_QUALITY_CONTEXT and (s := _event_source(day_sources, e))
        )
        return [
            Claim("Check the data first: confirm the data-quality notes before any risk outreach.", cited)
        ]
    if len(kinds & COMPLEXITY_CONTEXT) >= 2:
        cited = tuple(
            s.id for e in active if e.kind in COMPLEXITY_CONTEXT and (s := _event_source(day_sources, e))
        )
        return [
            Claim(
                "Escalate now: the CSM and their manager agree an owner and a plan with the customer.", cited
            )
        ]
    name = weakest.id.removeprefix("F-") if weakest else "the weakest factor"
    if band == "red":
        return [Claim(f"A personal call from the CSM this week, with a plan for {name}.", focus or ("H1",))]
    if band == "yellow":
        return [Claim(f"A check-in within two weeks, focused on {name}.", focus or ("H1",))]
    return [Claim("No action needed; look for expansion at the next business review.", ("H1",))]


def template_brief(request: BriefRequest) -> BriefDocument:
    sources = brief_sources(request)
    day = brief_day(request)
    health = _find(sources, "H1")
    summary = _say(health, "Health ") + _say(_find(sources, "H2"), "Score path: ")
    summary += [_why(request.explanation, sources)]
    summary += _say(_find(sources, "R1"), "Renewal: ")
    claims = {
        "summary": summary,
        "health": [_say(s)[0] for s in _starting_f(sources)] + [Claim(f"Data quality: {s.text}", (s.id,)) for s in _starting(sources, "N")],
        "support": [_ticket_claim(s) for s in _by_kind(sources, "ticket")],
        "risks": _context_claims(sources) + [Claim(f"Open signal: {s.text}", (s.id,)) for s in _starting(sources, "SIG")],
        "next_steps": _next_steps(request.context, sources, request.band, request.notes, day),
    }  # fmt: skip
    sections = tuple(Section(key, title, tuple(claims[key])) for key, title in BRIEF_SECTIONS)
    return BriefDocument(BRIEF, f"Brief: {request.account_name}", brief_header(request), sections, sources)


def _qbr_agenda(request: QBRRequest, sources: tuple[Source, ...]) -> list[Claim]:
    crisis = crisis_events(request.context, request.as_of)
    agenda: list[Claim] = []
    if crisis:
        cited = tuple(s.id for e in crisis if (s := _event_source(sources, e)) is not None)
        words = " and ".join(kind_words(e) for e in crisis)
        agenda.append(Claim(f"How we can support your team through the {words}.", cited))
    agenda.append(Claim("The quarter in review: usage and adoption.", ("U1",)))
    value = [s.id for s in sources if s.id in {"O1", "S2", "G1"}]
    if value:
        agenda.append(
            Claim("Outcomes delivered this quarter and what they meant for your team.", tuple(value))
        )
    agenda.append(Claim("Open support items and how we will close them.", ("S1",)))
    renewal = _find(sources, "R1")
    if renewal is not None and "no renewal" not in renewal.text:
        agenda.append(Claim("The renewal: timeline and what you need from us.", ("R1",)))
    expansion = _find(sources, "X1")
    if expansion is not None and not crisis and int(expansion.text.split("/", 1)[0]) >= 80:
        agenda.append(Claim("Where more teams could use the product next.", ("X1",)))
    agenda.append(Claim("Goals and success measures for the next quarter.", ("H1",)))
    return agenda


def _qbr_value(sources: tuple[Source, ...]) -> list[Claim]:
    claims = _say(_find(sources, "O1"))
    claims += [Claim(f"Onboarding step {s.label.removeprefix('onboarding step ')} {s.text}.", (s.id,))
               for s in _starting(sources, "O")[1:] if s.text.startswith("completed")]  # fmt: skip
    claims += _say(_find(sources, "S2")) + _say(_find(sources, "G1")) + _say(_find(sources, "G2"))
    periods = [s for s in _starting(sources, "U")[1:4] if "average" in s.text]
    if len(periods) >= 2:
        claims.append(Claim(f"Active use went from {periods[0].text} to {periods[-1].text}.",
                            (periods[0].id, periods[-1].id)))  # fmt: skip
    return claims


def _qbr_risks(request: QBRRequest, sources: tuple[Source, ...]) -> list[Claim]:
    claims = [Claim(f"Data quality: {s.text}", (s.id,)) for s in _starting(sources, "N")]
    claims += [c for c in _context_claims(sources) if "(active" in c.text]
    renewal = _find(sources, "R1")
    if renewal is not None and "churn risk" in renewal.text:
        claims += _say(renewal, "Renewal: ")
    claims += [Claim(f"Weak factor — {s.id.removeprefix('F-')}: {s.text.split(': ', 1)[-1]}", (s.id,))
               for s in _weak_factors(sources)]  # fmt: skip
    claims += [Claim(f"Overdue: onboarding step {s.label.removeprefix('onboarding step ')} ({s.text}).", (s.id,))
               for s in _starting(sources, "O")[1:] if s.text.startswith("not done")]  # fmt: skip
    billing = _find(sources, "B1")
    if billing is not None and any(w in billing.text for w in ("overdue", "failed", "downgrade")):
        claims += _say(billing)
    return claims


def _qbr_expansion(request: QBRRequest, sources: tuple[Source, ...]) -> list[Claim]:
    expansion = _find(sources, "X1")
    if expansion is None:
        return []
    crisis = crisis_events(request.context, request.as_of)
    claims = _say(expansion, "Expansion readiness ")
    if crisis:
        cited = tuple(s.id for e in crisis if (s := _event_source(sources, e)) is not None)
        claims.append(
            Claim(
                "Not the time for an expansion conversation while the customer handles an active crisis.",
                cited,
            )
        )
    elif int(expansion.text.split("/", 1)[0]) >= 80:
        claims.append(
            Claim("Ready for an expansion conversation: bring in the account executive.", ("X1", "U1"))
        )
    claims += _say(_find(sources, "A1"))
    return claims


def template_qbr(request: QBRRequest) -> BriefDocument:
    sources = qbr_sources(request)
    usage = _starting(sources, "U")
    claims = {
        "executive_summary": _say(_find(sources, "H1"), "Health ") + _say(_find(sources, "H2"), "Over the quarter: ")
        + [_why(request.explanation, sources)] + _say(_find(sources, "U1"), "Usage: ")
        + _say(_find(sources, "R1"), "Renewal: ") + [c for c in _context_claims(sources) if "(active" in c.text][:2],
        "usage_and_adoption": [_say(s)[0] for s in usage] + _say(_find(sources, "A1")) + _say(_find(sources, "F-usage")),
        "value_delivered": _qbr_value(sources),
        "support_history": _say(_find(sources, "S1")) + _say(_find(sources, "S2"))
        + [_ticket_claim(s) for s in _by_kind(sources, "ticket")[:4]] + _say(_find(sources, "F-support")),
        "health_trend": _say(_find(sources, "H2")) + _say(_find(sources, "H3"))
        + [_say(s)[0] for s in _starting_f(sources)[:3]],
        "risks": _qbr_risks(request, sources),
        "expansion_opportunities": _qbr_expansion(request, sources),
        "agenda": _qbr_agenda(request, sources),
    }  # fmt: skip
    sections = tuple(Section(key, title, tuple(claims[key])) for key, title in QBR_SECTIONS)
    return BriefDocument(QBR, f"QBR brief: {request.account_name}", qbr_header(request), sections, sources)
