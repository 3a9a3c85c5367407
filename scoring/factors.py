"""The five health factors, each 0–100 with the figure behind it, or None without data.

Each factor is a pure function of one account's facts, the scoring day and its rules, and
reads each fact list once (the book may hold 100,000 accounts). Problems cost points off 100
(support, billing, onboarding); usage and engagement are measured against a healthy level.
Each moves one way with its evidence: more recent usage never lowers usage, more overdue
invoices never raise billing, more replies never lower engagement.

Windows end on `as_of` and include it: a 30-day window is `as_of` and the 29 days before.
"""

from __future__ import annotations

from datetime import date, timedelta

from scoring.config import BillingRules, EngagementRules, OnboardingRules, SupportRules, UsageRules
from scoring.types import AccountFacts, BillingKind, EngagementKind, FactorScore, Severity

SEVERE = frozenset({Severity.HIGH, Severity.URGENT})


def clamp(value: float, low: float = 0.0, high: float = 100.0) -> float:
    return max(low, min(high, value))


def window_start(as_of: date, days: int) -> date:
    return as_of - timedelta(days=days - 1)


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else (many or word + 's')}"


def usage_factor(facts: AccountFacts, as_of: date, rules: UsageRules) -> FactorScore | None:
    """Utilisation over the window against a healthy level, less a penalty for the decline of
    active users against the baseline (the window before). The baseline never overlaps the
    window, so more usage inside the window can only raise the factor."""
    start = window_start(as_of, rules.window_days)
    trend_start = window_start(as_of, rules.trend_days)
    base_start = start - timedelta(days=rules.window_days)
    days = active = seats = trend_days = trend_active = base_days = base_active = 0
    for row in facts.usage:
        if row.day > as_of or row.day < base_start:
            continue
        if row.day >= start:
            days += 1
            active += row.active_users
            seats += row.licensed_seats
            if row.day >= trend_start:
                trend_days += 1
                trend_active += row.active_users
        else:
            base_days += 1
            base_active += row.active_users
    if days < rules.min_days:
        return None
    utilisation = active / seats if seats > 0 else 0.0
    score = min(100.0, utilisation / rules.healthy_utilisation * 100)
    detail = (
        f"{active / days:.0f} of {seats / days:.0f} seats active on average over the last "
        f"{rules.window_days} days ({utilisation:.0%})"
    )
    if base_days >= rules.min_days and base_active > 0:
        base_mean = base_active / base_days
        change = (active / days) / base_mean - 1
        trend_change = (trend_active / trend_days) / base_mean - 1 if trend_days else change
        decline = max(0.0, -change, -trend_change)  # a sudden drop shows first in the latest days
        score -= decline * 100 * rules.drop_penalty_per_percent
        if abs(change) < 0.005:
            detail += f", level with the {rules.window_days} days before"
        else:
            detail += (
                f", {'down' if change < 0 else 'up'} {abs(change):.0%} on the {rules.window_days} days before"
            )
        if -trend_change >= max(0.0, -change) + 0.05:
            detail += (
                f"; the last {rules.trend_days} days average {trend_active / trend_days:.0f} "
                f"active users, down {-trend_change:.0%}"
            )
    return FactorScore("usage", clamp(score), 0.0, detail, days + base_days)


def usage_fell(factor: FactorScore | None) -> bool:
    """Whether a usage factor reports a decline (its wording is written just above)."""
    return factor is not None and factor.name == "usage" and " down " in factor.detail


def support_factor(facts: AccountFacts, as_of: date, rules: SupportRules) -> FactorScore | None:
    """Points off 100 for tickets opened in the window (by severity), escalation requests
    (opened in the window or still open) and tickets still open. No tickets in the window is
    good news only when the account has tickets on record at all."""
    since = window_start(as_of, rules.window_days)
    on_record = recent = severe = escalations = still_open = 0
    points = 0.0
    for ticket in facts.tickets:
        opened = ticket.opened_at.date()
        if opened > as_of:
            continue
        on_record += 1
        is_open = ticket.closed_at is None or ticket.closed_at.date() > as_of
        in_window = opened >= since
        if in_window:
            recent += 1
            points += getattr(rules.ticket_points, ticket.severity.value)
            severe += ticket.severity in SEVERE
        if ticket.is_escalation_request and (in_window or is_open):
            escalations += 1
        still_open += is_open
    if on_record == 0 and rules.require_history:
        return None
    points += escalations * rules.escalation_request_points + still_open * rules.open_ticket_points
    if recent:
        detail = f"{plural(recent, 'ticket')} in the last {rules.window_days} days ({severe} high or urgent)"
    else:
        detail = f"no tickets in the last {rules.window_days} days"
    detail += f", {still_open} open" if still_open else ", none open"
    if escalations:
        detail += f", {plural(escalations, 'escalation request')}"
    return FactorScore("support", clamp(100 - points), 0.0, detail, on_record)


def billing_factor(facts: AccountFacts, as_of: date, rules: BillingRules) -> FactorScore | None:
    """Points off 100 for overdue invoices, failed payments and downgrades in the window."""
    since = window_start(as_of, rules.window_days)
    events = overdue = failed = downgrades = 0
    for event in facts.billing:
        if not since <= event.day <= as_of:
            continue
        events += 1
        overdue += event.kind is BillingKind.INVOICE_OVERDUE
        failed += event.kind is BillingKind.PAYMENT_FAILED
        downgrades += event.kind is BillingKind.DOWNGRADE
    if not events:
        return None
    points = (
        overdue * rules.overdue_points
        + failed * rules.failed_payment_points
        + downgrades * rules.downgrade_points
    )
    parts = [
        plural(n, word)
        for n, word in ((overdue, "overdue invoice"), (failed, "failed payment"), (downgrades, "downgrade"))
        if n
    ]
    problems = ", ".join(parts) if parts else "no overdue invoices, failed payments or downgrades"
    detail = f"{problems} in the last {rules.window_days} days"
    return FactorScore("billing", clamp(100 - points), 0.0, detail, events)


def outreach_counts(facts: AccountFacts, as_of: date, days: int) -> tuple[int, int]:
    """(outreach sent, outreach replied) in the last `days` days."""
    since = window_start(as_of, days)
    sent = replied = 0
    for event in facts.engagement:
        if since <= event.at.date() <= as_of:
            sent += event.kind is EngagementKind.OUTREACH_SENT
            replied += event.kind is EngagementKind.OUTREACH_REPLIED
    return sent, replied


def engagement_factor(facts: AccountFacts, as_of: date, rules: EngagementRules) -> FactorScore | None:
    """The mean of the outreach reply rate (against an excellent rate) and the latest NPS
    (0–10, times ten), or a neutral level without either; plus meetings, less public complaints."""
    since = window_start(as_of, rules.window_days)
    events = sent = replied = meetings = complaints = 0
    nps_at, nps = None, None
    for event in facts.engagement:
        if not since <= event.at.date() <= as_of:
            continue
        events += 1
        kind = event.kind
        sent += kind is EngagementKind.OUTREACH_SENT
        replied += kind is EngagementKind.OUTREACH_REPLIED
        meetings += kind is EngagementKind.MEETING
        complaints += kind is EngagementKind.PUBLIC_COMPLAINT
        if kind is EngagementKind.NPS and event.value is not None and (nps_at is None or event.at > nps_at):
            nps_at, nps = event.at, event.value
    if not events:
        return None
    parts: list[float] = []
    words: list[str] = []
    if sent >= rules.min_outreach_for_rate:
        rate = min(1.0, replied / sent)
        parts.append(min(100.0, rate / rules.excellent_reply_rate * 100))
        words.append(f"replied to {replied} of {sent} outreach emails ({rate:.0%})")
    if nps is not None:
        parts.append(clamp(nps * 10))
        words.append(f"latest NPS {nps:.0f}")
    score = sum(parts) / len(parts) if parts else rules.neutral
    score += min(rules.max_meeting_points, meetings * rules.meeting_points)
    score -= complaints * rules.public_complaint_points
    words.append(plural(meetings, "meeting"))
    if complaints:
        words.append(plural(complaints, "public complaint"))
    detail = ", ".join(words) + f" in the last {rules.window_days} days"
    return FactorScore("engagement", clamp(score), 0.0, detail, events)


def onboarding_factor(facts: AccountFacts, as_of: date, rules: OnboardingRules) -> FactorScore | None:
    """Points off 100 for steps overdue and not done, fewer for steps done late. Counts while
    onboarding runs and for `relevant_days` after the last step, not forever."""
    if not facts.milestones:
        return None
    done = overdue = late = 0
    last_done: date | None = None
    oldest = None
    for step in facts.milestones:
        finished = step.completed_at.date() if step.completed_at is not None else None
        if finished is not None and finished <= as_of:
            done += 1
            late += finished > step.due_date
            last_done = finished if last_done is None else max(last_done, finished)
        elif step.due_date < as_of:
            overdue += 1
            oldest = step if oldest is None or step.due_date < oldest.due_date else oldest
    total = len(facts.milestones)
    if done == total and last_done is not None and (as_of - last_done).days > rules.relevant_days:
        return None  # onboarding finished long ago: it no longer says anything about health
    score = 100 - overdue * rules.overdue_points - late * rules.late_done_points
    detail = f"{done} of {total} onboarding steps done"
    if oldest is not None:
        detail += f", {overdue} overdue (“{oldest.step}” was due {oldest.due_date.isoformat()})"
    if late:
        detail += f", {late} done late"
    return FactorScore("onboarding", clamp(score), 0.0, detail, total)
