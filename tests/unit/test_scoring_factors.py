"""Each health factor on its own: no data, full data, the figure in words, and monotonicity."""

from __future__ import annotations

import random

import pytest

from scoring.config import load_default_config
from scoring.factors import (
    billing_factor,
    engagement_factor,
    onboarding_factor,
    support_factor,
    usage_factor,
)
from scoring.types import BillingKind, EngagementKind, FactorScore, Severity, UsageDay
from tests.unit.scoring_factories import (
    AS_OF,
    account,
    billing,
    engaged,
    event,
    milestone,
    paid_billing,
    ticket,
    usage,
)

CONFIG = load_default_config()


def _usage(days: tuple[UsageDay, ...]) -> FactorScore:
    factor = usage_factor(account(usage=days), AS_OF, CONFIG)
    assert factor is not None
    return factor


# Usage


def test_usage_without_enough_days_is_no_data() -> None:
    assert usage_factor(account(usage=()), AS_OF, CONFIG) is None
    assert usage_factor(account(usage=usage(50, days=6)), AS_OF, CONFIG) is None
    assert usage_factor(account(usage=usage(50, days=7)), AS_OF, CONFIG) is not None


def test_healthy_utilisation_scores_full_marks_and_says_so() -> None:
    factor = _usage(usage(70))
    assert factor.score == 100.0
    assert factor.detail.startswith("70 of 100 seats active on average over the last 30 days (70%)")
    assert "level with the 30 days before" in factor.detail
    assert factor.data_points == 60


def test_a_drop_against_the_30_days_before_is_named_and_penalised() -> None:
    factor = _usage(usage([40] * 30 + [20] * 30, seats=40))
    assert factor.detail == (
        "20 of 40 seats active on average over the last 30 days (50%), down 50% on the 30 days before"
    )
    # 50% / 70% healthy = 71.4, less 0.5 point per percent of decline (50% → 25).
    assert factor.score == pytest.approx(50 / 70 * 100 - 25)


def test_a_sudden_drop_in_the_last_week_shows_before_the_month_average_does() -> None:
    crash = _usage(usage([80] * 53 + [20] * 7))
    steady = _usage(usage(80))
    assert "the last 7 days average 20 active users, down 75%" in crash.detail
    assert crash.score < steady.score - 30


def test_usage_days_older_than_the_baseline_are_ignored() -> None:
    assert _usage(usage([5] * 30 + [70] * 60)).score == _usage(usage(70)).score


@pytest.mark.parametrize("seed", range(25))
def test_more_usage_in_the_window_never_lowers_the_usage_factor(seed: int) -> None:
    rng = random.Random(seed)
    values = [rng.randint(0, 100) for _ in range(60)]
    raised = list(values)
    day = rng.randrange(30, 60)  # one day inside the 30-day window (the list is oldest first)
    raised[day] += rng.randint(1, 40)
    base = _usage(usage(values, seats=150)).score
    assert _usage(usage(raised, seats=150)).score >= base
    assert _usage(usage([v + 10 for v in values], seats=150)).score >= base  # more on every day


def test_higher_usage_before_the_window_means_a_bigger_drop() -> None:
    recent = [30] * 30
    assert _usage(usage([60] * 30 + recent)).score < _usage(usage([35] * 30 + recent)).score


# Support


def test_support_without_any_ticket_on_record_is_no_data() -> None:
    assert support_factor(account(tickets=()), AS_OF, CONFIG) is None


def test_a_quiet_month_counts_as_good_support_when_there_is_history() -> None:
    factor = support_factor(account(tickets=(ticket(60),)), AS_OF, CONFIG)
    assert factor is not None and factor.score == 100.0
    assert factor.detail == "no tickets in the last 30 days, none open" and factor.data_points == 1


def test_severity_escalation_and_open_tickets_weigh_on_support() -> None:
    calm = support_factor(account(tickets=(ticket(3, Severity.LOW),)), AS_OF, CONFIG)
    urgent = support_factor(account(tickets=(ticket(3, Severity.URGENT),)), AS_OF, CONFIG)
    angry = support_factor(
        account(
            tickets=(ticket(3, Severity.URGENT, escalation=True), ticket(5, Severity.HIGH, closed=False))
        ),
        AS_OF,
        CONFIG,
    )
    assert calm is not None and urgent is not None and angry is not None
    assert angry.score < urgent.score < calm.score
    assert angry.score == 100 - 20 - 12 - 15 - 2  # urgent, high, one escalation request, one open
    assert angry.detail == "2 tickets in the last 30 days (2 high or urgent), 1 open, 1 escalation request"


def test_an_old_ticket_still_open_weighs_but_a_closed_one_does_not() -> None:
    old_open = support_factor(account(tickets=(ticket(80, closed=False),)), AS_OF, CONFIG)
    old_closed = support_factor(account(tickets=(ticket(80),)), AS_OF, CONFIG)
    assert old_open is not None and old_closed is not None
    assert old_open.score == 98.0 and old_closed.score == 100.0


@pytest.mark.parametrize("severity", list(Severity))
def test_another_ticket_never_raises_support(severity: Severity) -> None:
    tickets = (ticket(2, Severity.NORMAL), ticket(4, Severity.HIGH))
    fewer = support_factor(account(tickets=tickets), AS_OF, CONFIG)
    more = support_factor(account(tickets=(*tickets, ticket(6, severity))), AS_OF, CONFIG)
    assert fewer is not None and more is not None and more.score < fewer.score


# Billing


def test_billing_without_events_in_90_days_is_no_data() -> None:
    assert billing_factor(account(billing=()), AS_OF, CONFIG) is None


def test_paid_invoices_score_full_marks() -> None:
    factor = billing_factor(account(billing=paid_billing()), AS_OF, CONFIG)
    assert factor is not None and factor.score == 100.0
    assert factor.detail == "no overdue invoices, failed payments or downgrades in the last 90 days"


@pytest.mark.parametrize(
    "kind", [BillingKind.INVOICE_OVERDUE, BillingKind.PAYMENT_FAILED, BillingKind.DOWNGRADE]
)
@pytest.mark.parametrize("count", [0, 1, 2, 3, 4])
def test_more_billing_trouble_never_raises_billing(kind: BillingKind, count: int) -> None:
    fewer = billing_factor(account(billing=billing(kind, count)), AS_OF, CONFIG)
    more = billing_factor(account(billing=billing(kind, count + 1)), AS_OF, CONFIG)
    assert fewer is not None and more is not None
    assert more.score <= fewer.score and (more.score < fewer.score or fewer.score == 0)


def test_billing_names_each_problem() -> None:
    events = billing(BillingKind.INVOICE_OVERDUE, 1) + billing(BillingKind.PAYMENT_FAILED, 2)[3:]
    factor = billing_factor(account(billing=events), AS_OF, CONFIG)
    assert factor is not None and factor.score == 100 - 25 - 40
    assert factor.detail == "1 overdue invoice, 2 failed payments in the last 90 days"


# Engagement


def test_engagement_without_events_in_90_days_is_no_data() -> None:
    assert engagement_factor(account(engagement=()), AS_OF, CONFIG) is None


@pytest.mark.parametrize("replies", range(8))
def test_more_replies_never_lower_engagement(replies: int) -> None:
    fewer = engagement_factor(account(engagement=engaged(replies, 8)), AS_OF, CONFIG)
    more = engagement_factor(account(engagement=engaged(replies + 1, 8)), AS_OF, CONFIG)
    assert fewer is not None and more is not None and more.score >= fewer.score


def test_engagement_blends_reply_rate_and_latest_nps_then_meetings_and_complaints() -> None:
    events = (
        *engaged(2, 8),  # 25% of an excellent 50% → 50
        event(EngagementKind.NPS, 60, 10.0),
        event(EngagementKind.NPS, 10, 6.0),  # the latest counts → 60
        event(EngagementKind.MEETING, 20),
    )
    factor = engagement_factor(account(engagement=events), AS_OF, CONFIG)
    assert factor is not None and factor.score == pytest.approx((50 + 60) / 2 + 5)
    assert (
        factor.detail
        == "replied to 2 of 8 outreach emails (25%), latest NPS 6, 1 meeting in the last 90 days"
    )

    complaint = (*events, event(EngagementKind.PUBLIC_COMPLAINT, 4))
    worse = engagement_factor(account(engagement=complaint), AS_OF, CONFIG)
    assert worse is not None and worse.score == factor.score - 30 and "1 public complaint" in worse.detail


def test_too_few_outreach_emails_give_no_reply_rate() -> None:
    factor = engagement_factor(account(engagement=engaged(0, 2)), AS_OF, CONFIG)
    assert factor is not None and factor.score == CONFIG.engagement.neutral
    assert "replied" not in factor.detail


# Onboarding


def test_onboarding_without_milestones_is_no_data() -> None:
    assert onboarding_factor(account(), AS_OF, CONFIG) is None


def test_an_overdue_step_costs_more_than_a_late_one_and_is_named() -> None:
    steps = (
        milestone("Kickoff call", 40, done_days_ago=45),
        milestone("SSO configured", 20, done_days_ago=10),  # late
        milestone("Data import", 5),  # overdue
        milestone("Admin training", -10),  # not due yet
    )
    factor = onboarding_factor(account(milestones=steps), AS_OF, CONFIG)
    assert factor is not None and factor.score == 100 - 25 - 8
    assert (
        factor.detail
        == "2 of 4 onboarding steps done, 1 overdue (“Data import” was due 2026-02-25), 1 done late"
    )


def test_onboarding_finished_long_ago_no_longer_counts() -> None:
    recent = (milestone("Kickoff call", 100, done_days_ago=60),)
    long_ago = (milestone("Kickoff call", 300, done_days_ago=200),)
    assert onboarding_factor(account(milestones=recent), AS_OF, CONFIG) is not None
    assert onboarding_factor(account(milestones=long_ago), AS_OF, CONFIG) is None
