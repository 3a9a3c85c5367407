"""From a decision to a draft request: which kind each trigger asks for, and which of the
signal's details travel with it (typed, optional, a garbled one left out)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.workflows.draft_requests import draft_request_for
from scoring.types import (
    AccountFacts,
    Band,
    ContextEvent,
    ContextKind,
    Decision,
    FactorScore,
    HealthResult,
    Route,
    Segment,
    Severity,
    Signal,
    Ticket,
    TriggerKey,
)

AS_OF = date(2026, 3, 2)


def account(**extra: object) -> AccountFacts:
    tickets = (
        Ticket("T-1", datetime(2026, 2, 25, tzinfo=UTC), Severity.HIGH, "Export", "Broken again."),
        Ticket("T-0", datetime(2025, 11, 1, tzinfo=UTC), Severity.LOW, "Old", "Old.", closed_at=datetime(2025, 11, 2, tzinfo=UTC)),
    )  # fmt: skip
    fields: dict[str, object] = {"tickets": tickets}
    fields.update(extra)
    return AccountFacts("ACC-1", "Acme Corp", Segment.SMB, 12000.0, "U1", date(2026, 4, 30), **fields)  # type: ignore[arg-type]


def health() -> HealthResult:
    return HealthResult(
        "ACC-1", AS_OF, 48, Band.RED, 0.9, (FactorScore("usage", 30.0, 1.0, "9 of 40 seats"),), "Red"
    )


def decision(trigger: TriggerKey, **details: object) -> Decision:
    return Decision(Signal("ACC-1", trigger, "summary", dict(details)), Route.AUTO, ())


@pytest.mark.parametrize(
    ("trigger", "kind"),
    [
        (TriggerKey.HEALTH_LOW, "check_in"), (TriggerKey.HEALTH_DROP, "check_in"), (TriggerKey.SENTIMENT, "check_in"),
        (TriggerKey.RENEWAL_RISK, "check_in"), (TriggerKey.RENEWAL_REMINDER, "renewal_reminder"),
        (TriggerKey.ONBOARDING_STALLED, "onboarding_nudge"), (TriggerKey.EXPANSION_READY, "expansion_note"),
        (TriggerKey.COMPLEXITY, "check_in"), (TriggerKey.MANUAL_FLAG, "check_in"),
    ],
)  # fmt: skip
def test_each_trigger_asks_for_its_kind(trigger: TriggerKey, kind: str) -> None:
    request = draft_request_for(account(), health(), decision(trigger), owner_name="Ana")
    assert request.kind == kind and request.trigger == trigger.value


def test_signal_details_travel_typed_and_a_garbled_one_is_left_out() -> None:
    request = draft_request_for(account(), health(), decision(
        TriggerKey.ONBOARDING_STALLED, overdue_step=" SSO setup ", overdue_days="a lot", evidence=["a", "", "b"],
        sales_contact="<@U9>", unknown="x", score=48), owner_name="Ana")  # fmt: skip
    assert dict(request.details) == {"overdue_step": "SSO setup", "evidence": ("a", "b")}


def test_a_renewal_draft_knows_the_date_and_the_days_left_even_without_them_in_the_signal() -> None:
    request = draft_request_for(
        account(), health(), decision(TriggerKey.RENEWAL_REMINDER, renewal_risk=0.123), owner_name="Ana"
    )
    assert dict(request.details) == {
        "renewal_date": "2026-04-30",
        "days_to_renewal": 59,
        "renewal_risk": 0.12,
    }


def test_the_expansion_note_names_the_sales_contact_and_carries_the_readiness() -> None:
    request = draft_request_for(account(), health(), decision(
        TriggerKey.EXPANSION_READY, expansion_readiness=86, sales_contact="#sales", evidence=("38 of 40 seats",)),
        owner_name="Ana")  # fmt: skip
    assert dict(request.details) == {
        "expansion_readiness": 86,
        "sales_contact": "#sales",
        "evidence": ("38 of 40 seats",),
    }


def test_recent_tickets_go_along_as_customer_text_and_a_crisis_blocks_cheer() -> None:
    incident = ContextEvent(ContextKind.LAYOFFS, datetime(2026, 2, 20, tzinfo=UTC))
    request = draft_request_for(
        account(context=(incident,)), health(), decision(TriggerKey.HEALTH_LOW), owner_name="Ana"
    )
    assert [t.ticket_id for t in request.tickets] == ["T-1"] and request.crisis is True
