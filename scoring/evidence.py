"""The evidence behind a score's top contributors: which tickets, which weeks of usage, which
invoices, which outreach — lines a CSM can check against their own systems.

Read from one account's facts (the bulk pass holds only sums), for the accounts a person is
about to look at: `explain`, a card, a brief.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from scoring.config import TriggerConfig
from scoring.explain import points_lost, top_contributors
from scoring.features import window_start
from scoring.money import money
from scoring.sentiment import tone_words
from scoring.types import (
    AccountFacts,
    BillingKind,
    EngagementKind,
    FactorScore,
    HealthResult,
    Severity,
    Ticket,
)

USAGE_WEEKS = 6
# How far back usage evidence looks (days before as_of): daily usage older than this is never read.
USAGE_EVIDENCE_DAYS = 7 * USAGE_WEEKS
MAX_TICKETS = 3
SEVERITY_RANK = {Severity.URGENT: 0, Severity.HIGH: 1, Severity.NORMAL: 2, Severity.LOW: 3}
BILLING_PROBLEMS = {
    BillingKind.INVOICE_OVERDUE: "invoice overdue",
    BillingKind.PAYMENT_FAILED: "payment failed",
    BillingKind.DOWNGRADE: "downgrade",
}


@dataclass(frozen=True, slots=True)
class Contributor:
    factor: str
    score: float
    points: float  # what it costs the score
    detail: str
    evidence: tuple[str, ...]


def contributors(facts: AccountFacts, health: HealthResult, config: TriggerConfig) -> tuple[Contributor, ...]:
    """The factors that cost the score the most, each with its evidence."""
    return tuple(
        Contributor(f.name, f.score, points_lost(f), f.detail, evidence_for(f, facts, health.as_of, config))
        for f in top_contributors(health.factors)
    )


def shows_usage(health: HealthResult) -> bool:
    """Whether the evidence for this score includes weeks of daily usage (usage is among the
    factors that cost it the most): only then does the caller need the account's daily rows."""
    return any(factor.name == "usage" for factor in top_contributors(health.factors))


def evidence_for(
    factor: FactorScore, facts: AccountFacts, as_of: date, config: TriggerConfig
) -> tuple[str, ...]:
    if factor.name == "usage":
        return usage_evidence(facts, as_of)
    if factor.name == "support":
        return support_evidence(facts, as_of, config.support.window_days)
    if factor.name == "billing":
        return billing_evidence(facts, as_of, config.billing.window_days)
    if factor.name == "engagement":
        return engagement_evidence(facts, as_of, config.engagement.window_days)
    if factor.name == "onboarding":
        return onboarding_evidence(facts, as_of)
    return ()


def usage_evidence(facts: AccountFacts, as_of: date) -> tuple[str, ...]:
    """Average daily active users per week, oldest first, and any days without data."""
    weeks: list[str] = []
    missing = 0
    seats = 0
    for week in range(USAGE_WEEKS - 1, -1, -1):
        end = as_of - timedelta(days=7 * week)
        start = end - timedelta(days=6)
        rows = [row for row in facts.usage if start <= row.day <= end]
        missing += 7 - len(rows)
        if rows:
            seats = max(seats, rows[-1].licensed_seats)
            weeks.append(f"{sum(r.active_users for r in rows) / len(rows):.0f}")
        else:
            weeks.append("no data")
    first_end = as_of - timedelta(days=7 * (USAGE_WEEKS - 1))
    line = (
        f"Daily active users, weekly average, weeks ending {first_end:%b} {first_end.day} to "
        f"{as_of:%b} {as_of.day}: {', '.join(weeks)}" + (f" (of {seats} seats)" if seats else "")
    )
    lines = [line]
    if missing:
        lines.append(f"{missing} of the last {7 * USAGE_WEEKS} days have no usage data.")
    return tuple(lines)


def _ticket_line(ticket: Ticket, as_of: date) -> str:
    is_open = ticket.closed_at is None or ticket.closed_at.date() > as_of
    parts = [ticket.ticket_id, ticket.severity.value]
    if ticket.sentiment is not None:
        parts.append(f"tone {tone_words(ticket.sentiment)} ({ticket.sentiment:+.2f})")
    parts.append("open" if is_open else "closed")
    if ticket.is_escalation_request:
        parts.append("escalation request")
    subject = " ".join(ticket.subject.split())[:80]
    return f"{' · '.join(parts)}: “{subject}”, opened {ticket.opened_at.date().isoformat()}"


def support_evidence(facts: AccountFacts, as_of: date, window_days: int) -> tuple[str, ...]:
    """The worst tickets of the window (or still open): severity first, then the harshest tone."""
    since = window_start(as_of, window_days)
    relevant = [
        t
        for t in facts.tickets
        if t.opened_at.date() <= as_of
        and (t.opened_at.date() >= since or t.closed_at is None or t.closed_at.date() > as_of)
    ]
    relevant.sort(key=lambda t: (SEVERITY_RANK[t.severity], t.sentiment if t.sentiment is not None else 0.0))
    lines = [_ticket_line(t, as_of) for t in relevant[:MAX_TICKETS]]
    if len(relevant) > MAX_TICKETS:
        lines.append(f"… and {len(relevant) - MAX_TICKETS} more.")
    return tuple(lines)


def billing_evidence(facts: AccountFacts, as_of: date, window_days: int) -> tuple[str, ...]:
    since = window_start(as_of, window_days)
    return tuple(
        f"{BILLING_PROBLEMS[e.kind]} on {e.day.isoformat()} ({money(e.amount)})"
        for e in facts.billing
        if e.kind in BILLING_PROBLEMS and since <= e.day <= as_of
    )


def engagement_evidence(facts: AccountFacts, as_of: date, window_days: int) -> tuple[str, ...]:
    since = window_start(as_of, window_days)
    events = [e for e in facts.engagement if since <= e.at.date() <= as_of]
    sent = [e for e in events if e.kind is EngagementKind.OUTREACH_SENT]
    replies = [e for e in events if e.kind is EngagementKind.OUTREACH_REPLIED]
    lines = []
    if sent:
        last = f"; last reply {max(e.at for e in replies).date().isoformat()}" if replies else "; no reply"
        lines.append(f"Outreach: {len(sent)} sent, {len(replies)} replied in {window_days} days{last}")
    for kind, label in ((EngagementKind.NPS, "NPS"), (EngagementKind.SURVEY, "Survey")):
        scored = [e for e in events if e.kind is kind and e.value is not None]
        if scored:
            latest = max(scored, key=lambda e: e.at)
            lines.append(f"{label} {latest.value:g} on {latest.at.date().isoformat()}")
    for complaint in (e for e in events if e.kind is EngagementKind.PUBLIC_COMPLAINT):
        lines.append(f"Public complaint on {complaint.at.date().isoformat()}")
    return tuple(lines)


def onboarding_evidence(facts: AccountFacts, as_of: date) -> tuple[str, ...]:
    lines = []
    for step in facts.milestones:
        done = step.completed_at is not None and step.completed_at.date() <= as_of
        if not done and step.due_date < as_of:
            lines.append(f"“{step.step}” was due {step.due_date.isoformat()}, not done")
        elif done and step.completed_at is not None and step.completed_at.date() > step.due_date:
            lines.append(
                f"“{step.step}” done {step.completed_at.date().isoformat()}, due {step.due_date.isoformat()}"
            )
    return tuple(lines)
