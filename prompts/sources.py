"""The citable facts behind a brief: each one a `Source` with an id, what it measures and over
which period, in our own words with figures straight from the data.

Pure: plain data in, sources out. The same sources feed the template brief, the LLM's prompt
(as structured data it must cite by id) and the Sources list shown under every brief.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from prompts.brief_document import Source
from scoring.money import money as format_money
from scoring.types import CRISIS_CONTEXT, ContextEvent, FactorScore, Ticket

MAX_TICKET_SOURCES = 6
SUBJECT_CHARS = 90


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def money(amount: float) -> str:
    """An amount in the deployment's currency ("€60,000"; scoring.money)."""
    return format_money(amount)


def one_line(text: str, limit: int = SUBJECT_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def end_of(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


def is_active(event: ContextEvent, day: date) -> bool:
    return event.active_on(end_of(day))


def crisis_events(context: tuple[ContextEvent, ...], day: date) -> tuple[ContextEvent, ...]:
    return tuple(e for e in context if e.kind in CRISIS_CONTEXT and is_active(e, day))


def kind_words(event: ContextEvent) -> str:
    return event.kind.value.replace("_", " ")


def health_source(*, score: int, band: str, confidence: float, as_of: date) -> Source:
    return Source("H1", "metric", f"health score, {as_of.isoformat()}",
                  f"{score} ({band}), confidence {round(confidence * 100)}%")  # fmt: skip


def trend_source(
    series: tuple[tuple[date, int], ...], *, score: int, as_of: date, window_days: int
) -> Source | None:
    """The score's path over the window; says how many days have a snapshot (no invented points)."""
    points = [(day, value) for day, value in series if day < as_of]
    points.append((as_of, score))  # today's point is the score being reported
    if len(points) < 2:
        return None
    (first_day, first), (last_day, last) = points[0], points[-1]
    values = [value for _, value in points]
    text = (
        f"{first} on {first_day.isoformat()} to {last} on {last_day.isoformat()} ({last - first:+d} points); "
        f"low {min(values)}, high {max(values)}; {len(points)} of {window_days} days have a score"
    )
    return Source("H2", "metric", f"health score, {first_day.isoformat()} to {last_day.isoformat()}", text)


def factor_sources(factors: tuple[FactorScore, ...], as_of: date) -> list[Source]:
    return [
        Source(
            f"F-{factor.name}",
            "metric",
            f"{factor.name} factor, {as_of.isoformat()}",
            f"{round(factor.score)}/100 (weight {round(factor.weight * 100)}%): {factor.detail}",
        )
        for factor in sorted(factors, key=lambda f: f.score)
    ]


def note_sources(notes: tuple[str, ...]) -> list[Source]:
    return [Source(f"N{n}", "record", "data quality", note) for n, note in enumerate(notes, 1)]


def ticket_label(ticket: Ticket) -> str:
    parts = [
        f"ticket {ticket.ticket_id}",
        ticket.severity.value,
        f"opened {ticket.opened_at.date().isoformat()}",
    ]
    parts.append(f"closed {ticket.closed_at.date().isoformat()}" if ticket.closed_at else "open")
    if ticket.is_escalation_request:
        parts.append("escalation request")
    return ", ".join(parts)


def ticket_sources(tickets: tuple[Ticket, ...], limit: int = MAX_TICKET_SOURCES) -> list[Source]:
    """The most telling tickets: open and escalations first, then the newest."""
    ranked = sorted(
        tickets,
        key=lambda t: (t.closed_at is not None, not t.is_escalation_request, -t.opened_at.timestamp()),
    )[:limit]
    ranked.sort(key=lambda t: t.opened_at, reverse=True)
    return [Source(t.ticket_id, "ticket", ticket_label(t), "", quoted=one_line(t.subject)) for t in ranked]


def context_sources(context: tuple[ContextEvent, ...], as_of: date) -> list[Source]:
    sources = []
    for n, event in enumerate(sorted(context, key=lambda e: e.starts_at), 1):
        active = is_active(event, as_of)
        label = f"{kind_words(event)} since {event.starts_at.date().isoformat()}"
        if event.ends_at is not None:
            label += f", {'until' if active else 'ended'} {event.ends_at.date().isoformat()}"
        text = ("active" if active else "over") + (f"; {one_line(event.note, 160)}" if event.note else "")
        sources.append(Source(f"E{n}", "event", label, text))
    return sources


def renewal_source(renewal_date: date | None, as_of: date, renewal_risk: float | None = None) -> Source:
    if renewal_date is None:
        return Source("R1", "record", "renewal", "no renewal date on record")
    days = (renewal_date - as_of).days
    when = renewal_date.isoformat()
    text = (
        f"{when} ({days} days left)"
        if days > 0
        else f"{when} (today)"
        if days == 0
        else f"{when} (passed {-days} days ago)"
    )
    if renewal_risk is not None:
        text += f"; churn risk at renewal {round(renewal_risk * 100)}%"
    return Source("R1", "record", "renewal", text)


def signal_sources(open_signals: tuple[str, ...]) -> list[Source]:
    return [Source(f"SIG{n}", "record", "open signal", signal) for n, signal in enumerate(open_signals, 1)]
