"""Turn scoring's view of an account into the drafting service's request (pure)."""

from __future__ import annotations

from prompts.drafting import DraftRequest
from scoring.types import CRISIS_CONTEXT, AccountFacts, Decision, HealthResult

# Which draft a trigger asks for; v1 drafts a check-in for every outreach trigger.
DRAFT_KIND_BY_TRIGGER: dict[str, str] = {}
DEFAULT_DRAFT_KIND = "check_in"


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
    )
