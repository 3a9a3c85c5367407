"""The five health factors, each 0–100 with the figure behind it, or None without data.

Each factor is a pure function of one account's facts, the scoring day and its rules. Scores
are "points off 100" for problems (support, billing, onboarding) or a ratio against a healthy
level (usage, engagement), so each moves one way with its evidence: more usage never lowers
usage, more overdue invoices never raise billing.
"""

from __future__ import annotations

from datetime import date, timedelta

from scoring.config import BillingRules, EngagementRules, OnboardingRules, SupportRules, UsageRules
from scoring.types import (
    AccountFacts,
    BillingKind,
    EngagementKind,
    FactorScore,
)


def clamp(value: float, low: float = 0.0, high: float = 100.0) -> float:
    return max(low, min(high, value))


def usage_factor(facts: AccountFacts, as_of: date, rules: UsageRules) -> FactorScore | None:
    window_start = as_of - timedelta(days=rules.window_days - 1)
    trend_start = as_of - timedelta(days=rules.trend_days - 1)
    before_start = trend_start - timedelta(days=rules.window_days)
    recent = [day for day in facts.usage if window_start <= day.day <= as_of]
    if len(recent) < rules.min_days:
        return None
    active = sum(day.active_users for day in recent) / len(recent)
    seats = sum(day.licensed_seats for day in recent) / len(recent)
    utilisation = active / seats if seats > 0 else 0.0
    score = min(100.0, utilisation / rules.healthy_utilisation * 100)
    detail = f"{active:.0f} of {seats:.0f} seats active on average over the last {rules.window_days} days ({utilisation:.0%})"

    latest = [d.active_users for d in facts.usage if trend_start <= d.day <= as_of]
    before = [d.active_users for d in facts.usage if before_start <= d.day < trend_start]
    if latest and len(before) >= rules.min_days:
        latest_mean, before_mean = sum(latest) / len(latest), sum(before) / len(before)
        if before_mean > 0:
            change = latest_mean / before_mean - 1
            if change < 0:
                score -= -change * 100 * rules.drop_penalty_per_percent
            detail += f"; the last {rules.trend_days} days are {'down' if change < 0 else 'up'} {abs(change):.0%} on the {rules.window_days} days before"
    return FactorScore("usage", clamp(score), 0.0, detail, len(recent))


def support_factor(facts: AccountFacts, as_of: date, rules: SupportRules) -> FactorScore:
    since = as_of - timedelta(days=rules.window_days - 1)
    recent = [t for t in facts.tickets if since <= t.opened_at.date() <= as_of]
    points = sum(rules.ticket_points.get(t.severity.value, 6) for t in recent)
    escalations = sum(1 for t in recent if t.is_escalation_request)
    still_open = sum(1 for t in facts.tickets if t.closed_at is None and t.opened_at.date() <= as_of)
    points += escalations * rules.escalation_request_points + still_open * rules.open_ticket_points
    urgent = sum(1 for t in recent if t.severity.value in ("high", "urgent"))
    detail = f"{len(recent)} tickets in the last {rules.window_days} days ({urgent} high or urgent), {still_open} open"
    if escalations:
        detail += f", {escalations} escalation request{'s' if escalations > 1 else ''}"
    return FactorScore("support", clamp(100 - points), 0.0, detail, len(recent))


def billing_factor(facts: AccountFacts, as_of: date, rules: BillingRules) -> FactorScore | None:
    since = as_of - timedelta(days=rules.window_days - 1)
    recent = [event for event in facts.billing if since <= event.day <= as_of]
    if not recent:
        return None
    overdue = sum(1 for e in recent if e.kind is BillingKind.INVOICE_OVERDUE)
    failed = sum(1 for e in recent if e.kind is BillingKind.PAYMENT_FAILED)
    downgrades = sum(1 for e in recent if e.kind is BillingKind.DOWNGRADE)
    points = (
        overdue * rules.overdue_points
        + failed * rules.failed_payment_points
        + downgrades * rules.downgrade_points
    )
    if points == 0:
        detail = f"all invoices paid in the last {rules.window_days} days"
    else:
        parts = [f"{overdue} overdue invoice(s)"] if overdue else []
        parts += [f"{failed} failed payment(s)"] if failed else []
        parts += [f"{downgrades} downgrade(s)"] if downgrades else []
        detail = ", ".join(parts) + f" in the last {rules.window_days} days"
    return FactorScore("billing", clamp(100 - points), 0.0, detail, len(recent))


def reply_rate(facts: AccountFacts, as_of: date, days: int) -> tuple[int, int]:
    """(outreach sent, replies) in the last `days` days."""
    since = as_of - timedelta(days=days - 1)
    sent = replied = 0
    for event in facts.engagement:
        if since <= event.at.date() <= as_of:
            if event.kind is EngagementKind.OUTREACH_SENT:
                sent += 1
            elif event.kind is EngagementKind.OUTREACH_REPLIED:
                replied += 1
    return sent, replied


def engagement_factor(facts: AccountFacts, as_of: date, rules: EngagementRules) -> FactorScore | None:
    since = as_of - timedelta(days=rules.window_days - 1)
    recent = [e for e in facts.engagement if since <= e.at.date() <= as_of]
    if not recent:
        return None
    parts: list[float] = []
    words: list[str] = []
    sent, replied = reply_rate(facts, as_of, rules.window_days)
    if sent >= rules.min_outreach_for_rate:
        rate = min(1.0, replied / sent)
        parts.append(min(100.0, rate / 0.5 * 100))  # replying to half of outreach is excellent
        words.append(f"replied to {replied} of {sent} outreach emails ({rate:.0%})")
    nps = [e for e in recent if e.kind is EngagementKind.NPS and e.value is not None]
    if nps:
        latest = max(nps, key=lambda e: e.at)
        parts.append(float(latest.value or 0) * 10)
        words.append(f"latest NPS {latest.value:.0f}")
    score = sum(parts) / len(parts) if parts else rules.neutral
    meetings = sum(1 for e in recent if e.kind is EngagementKind.MEETING)
    score += min(rules.max_meeting_points, meetings * rules.meeting_points)
    complaints = sum(1 for e in recent if e.kind is EngagementKind.PUBLIC_COMPLAINT)
    score -= complaints * rules.public_complaint_points
    words.append(f"{meetings} meeting{'s' if meetings != 1 else ''}")
    if complaints:
        words.append(f"{complaints} public complaint{'s' if complaints > 1 else ''}")
    detail = ", ".join(words) + f" in the last {rules.window_days} days"
    return FactorScore("engagement", clamp(score), 0.0, detail, len(recent))


def onboarding_factor(facts: AccountFacts, as_of: date, rules: OnboardingRules) -> FactorScore | None:
    if not facts.milestones:
        return None
    due = [m for m in facts.milestones if m.due_date <= as_of]
    overdue = [m for m in due if m.completed_at is None or m.completed_at.date() > m.due_date]
    late_open = [m for m in overdue if m.completed_at is None]
    done = sum(1 for m in facts.milestones if m.completed_at is not None)
    score = (
        100
        - len(late_open) * rules.overdue_points
        - (len(overdue) - len(late_open)) * rules.overdue_points / 3
    )
    detail = f"{done} of {len(facts.milestones)} onboarding steps done"
    if late_open:
        oldest = min(late_open, key=lambda m: m.due_date)
        detail += (
            f", {len(late_open)} overdue (\u201c{oldest.step}\u201d was due {oldest.due_date.isoformat()})"
        )
    return FactorScore("onboarding", clamp(score), 0.0, detail, len(facts.milestones))
