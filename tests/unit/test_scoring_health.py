"""Health factors, bands, confidence and the explanation."""

from __future__ import annotations

import pytest

from scoring.config import load_default_config
from scoring.factors import billing_factor, engagement_factor, support_factor, usage_factor
from scoring.health import band_for, score_account
from scoring.types import BillingEvent, BillingKind, ContextKind, Segment, Severity
from tests.unit.scoring_factories import AS_OF, account, context, engaged, ticket, usage

CONFIG = load_default_config()


def test_a_healthy_account_is_green_with_full_confidence() -> None:
    result = score_account(account(), as_of=AS_OF, config=CONFIG)
    assert result.band.value == "green" and result.score >= 90
    assert result.confidence == 1.0 and result.notes == ()
    assert abs(sum(f.weight for f in result.factors) - 1.0) < 1e-9


@pytest.mark.parametrize(
    ("score", "band"), [(75, "green"), (74, "yellow"), (60, "yellow"), (59, "red"), (0, "red")]
)
def test_band_cut_offs(score: int, band: str) -> None:
    assert band_for(score, CONFIG).value == band


def test_no_usage_data_leaves_the_factor_out_and_lowers_confidence() -> None:
    result = score_account(account(usage=()), as_of=AS_OF, config=CONFIG)
    names = {f.name for f in result.factors}
    assert "usage" not in names
    assert abs(sum(f.weight for f in result.factors) - 1.0) < 1e-9  # its weight went to the others
    assert result.confidence == pytest.approx(1.0 - CONFIG.confidence.missing_factor_penalty)
    assert any("No usage data" in note for note in result.notes)


def test_usage_factor_names_seats_and_the_recent_drop() -> None:
    falling = [80] * 53 + [20] * 7
    factor = usage_factor(account(usage=usage(falling)), AS_OF, CONFIG.usage)
    assert factor is not None
    assert "of 100 seats active" in factor.detail and "down 75%" in factor.detail
    steady = usage_factor(account(usage=usage(80)), AS_OF, CONFIG.usage)
    assert steady is not None and factor.score < steady.score


@pytest.mark.parametrize("level", [5, 20, 40, 60, 69])
def test_more_recent_usage_never_lowers_the_usage_factor(level: int) -> None:
    lower = usage_factor(account(usage=usage(level)), AS_OF, CONFIG.usage)
    higher = usage_factor(account(usage=usage(level + 10)), AS_OF, CONFIG.usage)
    assert lower is not None and higher is not None and higher.score >= lower.score


def test_too_few_usage_days_is_no_data() -> None:
    assert usage_factor(account(usage=usage(50, days=3)), AS_OF, CONFIG.usage) is None


@pytest.mark.parametrize("overdue", [0, 1, 2, 3])
def test_more_overdue_invoices_never_raise_billing(overdue: int) -> None:
    def billing(n: int) -> float:
        events = tuple(BillingEvent(AS_OF, BillingKind.INVOICE_OVERDUE, 100.0 + i) for i in range(n))
        factor = billing_factor(account(billing=events + account().billing), AS_OF, CONFIG.billing)
        assert factor is not None
        return factor.score

    assert billing(overdue + 1) <= billing(overdue)


def test_urgent_tickets_and_escalation_requests_weigh_on_support() -> None:
    calm = support_factor(account(tickets=(ticket(3, Severity.LOW),)), AS_OF, CONFIG.support)
    angry = support_factor(
        account(
            tickets=(ticket(3, Severity.URGENT, escalation=True), ticket(5, Severity.HIGH, closed=False))
        ),
        AS_OF,
        CONFIG.support,
    )
    assert angry.score < calm.score
    assert "2 tickets" in angry.detail and "escalation request" in angry.detail and "1 open" in angry.detail


def test_reply_rate_drives_engagement() -> None:
    responsive = engagement_factor(account(engagement=engaged(replies=4)), AS_OF, CONFIG.engagement)
    silent = engagement_factor(account(engagement=engaged(replies=0)), AS_OF, CONFIG.engagement)
    assert responsive is not None and silent is not None and silent.score < responsive.score
    assert "replied to 0 of 8" in silent.detail


def test_the_explanation_names_the_factor_that_pulls_the_score_down_most() -> None:
    result = score_account(account(usage=usage(8)), as_of=AS_OF, config=CONFIG)
    assert result.band.value != "green"
    assert "usage pulls the score down most" in result.explanation and "8 of 100 seats" in result.explanation

    billing = tuple(BillingEvent(AS_OF, BillingKind.PAYMENT_FAILED, float(i)) for i in range(4))
    unpaid = score_account(account(billing=billing), as_of=AS_OF, config=CONFIG)
    assert (
        "billing pulls the score down most" in unpaid.explanation and "4 failed payment" in unpaid.explanation
    )


def test_a_migration_lowers_confidence_and_says_so() -> None:
    migrating = account(usage=usage([80] * 50 + [15] * 10), context=(context(ContextKind.MIGRATION, 10),))
    result = score_account(migrating, as_of=AS_OF, config=CONFIG)
    plain = score_account(account(usage=usage([80] * 50 + [15] * 10)), as_of=AS_OF, config=CONFIG)
    assert result.score == plain.score  # the data is what it is ...
    assert result.confidence < plain.confidence  # ... but Tandem trusts it less
    assert any("migration" in note and "not churn" in note for note in result.notes)


def test_segment_weights_come_from_the_configuration() -> None:
    enterprise = score_account(
        account(segment=Segment.ENTERPRISE, usage=usage(8)), as_of=AS_OF, config=CONFIG
    )
    self_serve = score_account(
        account(segment=Segment.SELF_SERVE, usage=usage(8)), as_of=AS_OF, config=CONFIG
    )
    usage_weight = {
        r.account_id + s: f.weight
        for r, s in ((enterprise, "e"), (self_serve, "s"))
        for f in r.factors
        if f.name == "usage"
    }
    assert usage_weight["ACC-1s"] > usage_weight["ACC-1e"]
    assert self_serve.score < enterprise.score
