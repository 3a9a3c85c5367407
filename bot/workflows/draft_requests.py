"""Turn scoring's view of an account into the drafting service's request (pure).

Which draft a trigger asks for: a risk check-in for a falling or frustrated account (and, with a
renewal angle, for a renewal at risk), an automated renewal reminder for a low-risk renewal, a
contextual nudge for a stalled onboarding, and an internal hand-off note to sales when an
account looks ready to expand. The signal's own figures (days to renewal, the overdue step,
expansion readiness, evidence lines, the sales contact) travel with the request.
"""

from __future__ import annotations

from datetime import date, timedelta

from prompts.drafting import DraftRequest
from scoring.types import CRISIS_CONTEXT, AccountFacts, Decision, HealthResult, Ticket

DRAFT_KIND_BY_TRIGGER: dict[str, str] = {
    "health_low": "check_in",
    "health_drop": "check_in",
    "sentiment": "check_in",
    "renewal_risk": "check_in",  # a risk check-in; the templates and prompt take the renewal angle
    "renewal_reminder": "renewal_reminder",
    "onboarding_stalled": "onboarding_nudge",
    "expansion_ready": "expansion_note",
}
DEFAULT_DRAFT_KIND = "check_in"
# The signal details a draft may use (all optional; anything else stays out of the prompt).
DETAIL_KEYS = ("renewal_date", "days_to_renewal", "renewal_risk", "overdue_step", "overdue_days",
               "expansion_readiness", "sales_contact", "evidence")  # fmt: skip
RECENT_TICKET_DAYS = 30
MAX_TICKETS = 5
MAX_EVIDENCE = 6


def _clean(key: str, value: object) -> object | None:
    """The detail if it has the expected type, else None (a garbled detail is left out, not sent)."""
    if key == "evidence":
        if isinstance(value, list | tuple):
            return tuple(str(line) for line in value if str(line).strip())[:MAX_EVIDENCE] or None
        return None
    if key in ("days_to_renewal", "overdue_days", "expansion_readiness"):
        return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    if key == "renewal_risk":
        return (
            round(float(value), 2) if isinstance(value, int | float) and not isinstance(value, bool) else None
        )
    if key == "renewal_date":
        if isinstance(value, date):
            return value.isoformat()
        return value.strip() if isinstance(value, str) and value.strip() else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def signal_details(decision: Decision, account: AccountFacts, as_of: date) -> dict[str, object]:
    raw = decision.signal.details
    details = {key: cleaned for key in DETAIL_KEYS if (cleaned := _clean(key, raw.get(key))) is not None}
    kind = DRAFT_KIND_BY_TRIGGER.get(decision.trigger.value, DEFAULT_DRAFT_KIND)
    renewal_angle = decision.trigger.value in ("renewal_risk", "renewal_reminder")
    if renewal_angle and account.renewal_date is not None:
        details.setdefault("renewal_date", account.renewal_date.isoformat())
        details.setdefault("days_to_renewal", (account.renewal_date - as_of).days)
    if kind != "expansion_note":
        details.pop("sales_contact", None)  # a customer email never names the sales contact
    return details


def recent_tickets(account: AccountFacts, as_of: date) -> tuple[Ticket, ...]:
    since = as_of - timedelta(days=RECENT_TICKET_DAYS)
    recent = [t for t in account.tickets if t.opened_at.date() >= since or t.closed_at is None]
    return tuple(sorted(recent, key=lambda t: t.opened_at, reverse=True)[:MAX_TICKETS])


def draft_request_for(
    account: AccountFacts, health: HealthResult, decision: Decision, *, owner_name: str
) -> DraftRequest:
    now_day = health.as_of
    crisis = any(
        event.kind in CRISIS_CONTEXT
        and event.starts_at.date() <= now_day
        and (event.ends_at is None or event.ends_at.date() >= now_day)
        for event in account.context
    )
    factor_facts = {factor.name: factor.detail for factor in health.factors}
    return DraftRequest(
        kind=DRAFT_KIND_BY_TRIGGER.get(decision.trigger.value, DEFAULT_DRAFT_KIND),
        account_name=account.name,
        segment=account.segment.value,
        arr=account.arr,
        owner_name=owner_name,
        contact_name=None,
        score=health.score,
        band=health.band.value,
        explanation=health.explanation,
        trigger=decision.trigger.value,
        reasons=tuple(reason.sentence for reason in decision.reasons),
        crisis=crisis or decision.celebratory_tone_blocked,
        facts=factor_facts,
        details=signal_details(decision, account, now_day),
        tickets=recent_tickets(account, now_day),
    )
