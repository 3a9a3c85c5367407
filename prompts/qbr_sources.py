"""The QBR's citable facts over its window (90 days by default): usage and adoption by period,
value delivered (onboarding done, tickets resolved, meetings), support, engagement, billing,
renewal and expansion. Pure: figures are computed from the request's rows, never guessed."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from statistics import median

from prompts.brief_document import Source
from prompts.draft_types import QBRRequest
from prompts.sources import (
    context_sources,
    factor_sources,
    health_source,
    note_sources,
    plural,
    renewal_source,
    signal_sources,
    ticket_sources,
    trend_source,
)
from scoring.types import BillingKind, EngagementKind, UsageDay

PERIODS = 3  # the window is cut into three periods (about a month each) for the adoption trend
TOP_FEATURES = 5


def window_start(request: QBRRequest) -> date:
    return request.as_of - timedelta(days=request.window_days - 1)


def period_label(name: str, start: date, end: date) -> str:
    return f"{name}, {start.isoformat()} to {end.isoformat()}"


def _average_use(days: list[UsageDay]) -> str:
    active = sum(d.active_users for d in days) / len(days)
    seats = days[-1].licensed_seats
    share = f" ({active / seats:.0%})" if seats else ""
    return f"average {active:.0f} daily active users of {seats} licensed seats{share}"


def usage_sources(request: QBRRequest) -> list[Source]:
    start = window_start(request)
    days = sorted((d for d in request.usage if start <= d.day <= request.as_of), key=lambda d: d.day)
    if not days:
        return [Source("U1", "metric", period_label("daily active users", start, request.as_of),
                       "no usage data in this period")]  # fmt: skip
    whole = f"{_average_use(days)}; {len(days)} of {request.window_days} days have usage data"
    sources = [Source("U1", "metric", period_label("daily active users", start, request.as_of), whole)]
    length = request.window_days // PERIODS
    for n in range(PERIODS):
        p_start = start + timedelta(days=n * length)
        p_end = request.as_of if n == PERIODS - 1 else p_start + timedelta(days=length - 1)
        chunk = [d for d in days if p_start <= d.day <= p_end]
        text = _average_use(chunk) if chunk else "no usage data"
        sources.append(
            Source(f"U{n + 2}", "metric", period_label("daily active users", p_start, p_end), text)
        )
    peak = max(days, key=lambda d: (d.active_users, d.day))
    sources.append(Source(f"U{PERIODS + 2}", "metric", period_label("peak daily active users", start, request.as_of),
                          f"{peak.active_users} on {peak.day.isoformat()}"))  # fmt: skip
    return sources


def feature_source(request: QBRRequest) -> Source | None:
    start = window_start(request)
    uses: Counter[str] = Counter()
    for use in request.features:
        if start <= use.day <= request.as_of:
            uses[use.feature] += use.count
    if not uses:
        return None
    top = ", ".join(f"{name} ({count:,} uses)" for name, count in uses.most_common(TOP_FEATURES))
    text = f"{len(uses)} features used; most used: {top}"
    return Source("A1", "metric", period_label("feature adoption", start, request.as_of), text)


def onboarding_sources(request: QBRRequest) -> list[Source]:
    if not request.milestones:
        return []
    done = [m for m in request.milestones if m.completed_at is not None]
    overdue = [m for m in request.milestones if m.completed_at is None and m.due_date < request.as_of]
    text = f"{len(done)} of {len(request.milestones)} onboarding steps done, {len(overdue)} overdue"
    sources = [Source("O1", "record", f"onboarding plan, {request.as_of.isoformat()}", text)]
    start = window_start(request)
    recent = [m for m in done if m.completed_at and m.completed_at.date() >= start]
    for n, step in enumerate(sorted(recent, key=lambda m: m.due_date), 2):
        assert step.completed_at is not None
        sources.append(Source(f"O{n}", "event", f"onboarding step “{step.step}”",
                              f"completed {step.completed_at.date().isoformat()} (due {step.due_date.isoformat()})"))  # fmt: skip
    for step in sorted(overdue, key=lambda m: m.due_date):
        sources.append(Source(f"O{len(sources) + 1}", "event", f"onboarding step “{step.step}”",
                              f"not done, due {step.due_date.isoformat()}"))  # fmt: skip
    return sources


def support_source(request: QBRRequest) -> Source:
    start = window_start(request)
    opened = [t for t in request.tickets if t.opened_at.date() >= start]
    label = period_label("support tickets", start, request.as_of)
    if not opened and not any(t.closed_at is None for t in request.tickets):
        return Source("S1", "metric", label, "no tickets opened")
    severity = Counter(t.severity.value for t in opened)
    by_severity = ", ".join(f"{severity[s]} {s}" for s in ("urgent", "high", "normal", "low") if severity[s])
    escalations = sum(t.is_escalation_request for t in opened)
    still_open = sum(t.closed_at is None for t in request.tickets)
    text = f"{plural(len(opened), 'ticket')} opened" + (f" ({by_severity})" if by_severity else "")
    text += f", {plural(escalations, 'escalation request')}, {still_open} open now"
    return Source("S1", "metric", label, text)


def resolution_source(request: QBRRequest) -> Source | None:
    start = window_start(request)
    closed = [t for t in request.tickets if t.closed_at is not None and t.closed_at.date() >= start]
    if not closed:
        return None
    days = median((t.closed_at - t.opened_at).total_seconds() / 86400 for t in closed if t.closed_at)
    text = f"{plural(len(closed), 'ticket')} resolved, median {days:.1f} days to resolve"
    return Source("S2", "metric", period_label("tickets resolved", start, request.as_of), text)


def engagement_sources(request: QBRRequest) -> list[Source]:
    start = window_start(request)
    events = [e for e in request.engagement if e.at.date() >= start]
    label = period_label("engagement", start, request.as_of)
    kinds = Counter(e.kind for e in events)
    sources: list[Source] = []
    parts = [plural(kinds[EngagementKind.MEETING], "meeting")]
    sent = kinds[EngagementKind.OUTREACH_SENT]
    if sent:
        parts.append(f"{kinds[EngagementKind.OUTREACH_REPLIED]} of {sent} outreach emails answered")
    if kinds[EngagementKind.PUBLIC_COMPLAINT]:
        parts.append(plural(kinds[EngagementKind.PUBLIC_COMPLAINT], "public complaint"))
    sources.append(Source("G1", "metric", label, ", ".join(parts)))
    scores = sorted(
        (e for e in events if e.kind is EngagementKind.NPS and e.value is not None), key=lambda e: e.at
    )
    if scores:
        latest = scores[-1]
        sources.append(Source("G2", "metric", f"NPS, {latest.at.date().isoformat()}", f"{latest.value:g}"))
    return sources


def billing_source(request: QBRRequest) -> Source | None:
    start = window_start(request)
    events = [b for b in request.billing if b.day >= start]
    if not events:
        return None
    kinds = Counter(b.kind for b in events)
    names = {BillingKind.INVOICE_PAID: "invoices paid", BillingKind.INVOICE_OVERDUE: "invoices overdue",
             BillingKind.PAYMENT_FAILED: "failed payments", BillingKind.DOWNGRADE: "downgrades",
             BillingKind.UPGRADE: "upgrades", BillingKind.REFUND: "refunds"}  # fmt: skip
    text = ", ".join(f"{kinds[kind]} {name}" for kind, name in names.items() if kinds[kind])
    return Source("B1", "metric", period_label("billing", start, request.as_of), text)


def expansion_source(request: QBRRequest) -> Source | None:
    if request.expansion_readiness is None:
        return None
    label = f"expansion readiness, {request.as_of.isoformat()}"
    return Source("X1", "metric", label, f"{request.expansion_readiness}/100")


def change_source(request: QBRRequest) -> Source | None:
    if not request.trend:
        return None
    text = ", ".join(f"{days} days {change:+d} points" for days, change in request.trend)
    return Source("H3", "metric", f"health score change to {request.as_of.isoformat()}", text)


def qbr_sources(request: QBRRequest) -> tuple[Source, ...]:
    """Every source of a QBR brief, in a stable order (ids are unique)."""
    day = request.as_of
    single = [
        health_source(score=request.score, band=request.band, confidence=request.confidence, as_of=day),
        trend_source(request.health_series, score=request.score, as_of=day, window_days=request.window_days),
        change_source(request),
        *factor_sources(request.factors, day),
        *usage_sources(request),
        feature_source(request),
        *onboarding_sources(request),
        support_source(request),
        resolution_source(request),
        *ticket_sources(request.tickets),
        *engagement_sources(request),
        billing_source(request),
        renewal_source(request.renewal_date, day, request.renewal_risk),
        expansion_source(request),
        *context_sources(request.context, day),
        *note_sources(request.notes),
        *signal_sources(request.open_signals),
    ]
    return tuple(source for source in single if source is not None)
