"""More of the seeds' stories, planted with fixed ids so the decision engine can be seen at work:

- enterprise_onboarding: an enterprise bank, 45 days in, its security review overdue and a
  multi-stakeholder implementation under way: the onboarding nudge that suits a small
  customer must go to a person here (the enterprise exception);
- smb_onboarding: its small twin, one step overdue and nothing else: an automated nudge;
- cascade: a small account Tandem emailed automatically 20 days ago; no reply since, and its
  health is still low: the next touch goes to a person, not another automated email;
- veto: a small account its CSM marked "always human": every touchpoint goes to a person;
- frustrated: a small account whose tickets turned frustrated this month: automation steps aside;
- low_reply: a small account that answers 1 in 7 automated emails (below 20%): a person;
- self_serve: a tiny self-serve account barely using its seats: full automation, end to end;
- expansion: a mid-market account with nearly every seat in use and a growing team: a sales
  hand-off card naming its account executive;
- renewal_campaign: a healthy small account renewing in 60 days at low risk: an automated
  renewal reminder (the campaign a breach must stop).
Renewals are kept out of the renewal windows so each story is the only thing that fires.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from storage import models
from storage.synthetic.builder import AccountBuilder
from storage.synthetic.vocabulary import CALM_TICKETS, FRUSTRATED_TICKETS

STORIES = {
    "enterprise_onboarding": "ACC-ENTONBOARD",
    "smb_onboarding": "ACC-SMBONBOARD",
    "cascade": "ACC-CASCADE",
    "veto": "ACC-VETO",
    "frustrated": "ACC-FRUSTRATED",
    "low_reply": "ACC-LOWREPLY",
    "self_serve": "ACC-SELFSERVE",
    "expansion": "ACC-EXPAND",
    "renewal_campaign": "ACC-RENEWAL",
}
STORY_NAMES = {
    "enterprise_onboarding": "Halcyon Bank Group",
    "smb_onboarding": "Pip and Parcel Couriers",
    "cascade": "Quarry Lane Florists",
    "veto": "Juniper Tax Advisors",
    "frustrated": "Beacon Pet Care",
    "low_reply": "Cinder Coffee Roasters",
    "self_serve": "Tiny Kite Apps",
    "expansion": "Summit Robotics",
    "renewal_campaign": "Harbor Light Dental",
}
ACCOUNT_EXECUTIVE = "U0AE00001"  # Summit Robotics' account executive, named on its hand-off card
CASCADE_TOUCH_DAYS_AGO = 20
RENEWAL_FAR = 200  # days: outside every renewal window


def plant_stories(builder: AccountBuilder, owners: list[str]) -> dict[str, str]:
    as_of = builder.as_of
    owner = {case: owners[index % len(owners)] for index, case in enumerate(STORIES)}

    def account(
        case: str,
        segment: str,
        arr: float,
        *,
        started_days_ago: int = 500,
        renewal: int = RENEWAL_FAR,
        **extra: object,
    ) -> str:
        account_id = STORIES[case]
        builder.account(
            account_id,
            STORY_NAMES[case],
            segment,
            arr,
            owner[case],
            renewal_in_days=renewal,
            contract_start=as_of - timedelta(days=started_days_ago),
        )
        if extra:
            builder.rows.of(models.Account)[-1].update(extra)
        builder.billing(account_id, arr)
        return account_id

    # The enterprise exception and its small twin: the same overdue onboarding step.
    account_id = account("enterprise_onboarding", "enterprise", 180_000.0, started_days_ago=45)
    builder.usage(
        account_id, 400, lambda d: 0.35 if d > builder.days - 45 else 0.0, first_offset=builder.days - 45
    )
    _onboarding(builder, account_id, started_days_ago=45, overdue_step="Security review", overdue_days=12)
    builder.engagement(account_id, reply_rate=0.5, nps=None, meetings=2)
    builder.context(
        account_id, "multi_stakeholder_implementation", days_ago=20, note="Rollout across 6 business units"
    )

    account_id = account("smb_onboarding", "smb", 6_000.0, started_days_ago=40)
    builder.usage(account_id, 12, lambda d: 0.6, first_offset=builder.days - 40, features=3)
    _onboarding(builder, account_id, started_days_ago=40, overdue_step="Invite your team", overdue_days=6)
    builder.engagement(account_id, reply_rate=0.5, nps=None, meetings=0)

    # The ignored check-in: Tandem's automated email 20 days ago, unanswered; health still low.
    account_id = account("cascade", "smb", 7_200.0)
    builder.usage(account_id, 30, lambda d: 0.07, features=2)
    builder.ticket(account_id, CALM_TICKETS[1], severity="low", days_ago=50, still_open=False)
    builder.engagement(account_id, replied_to=(3, 4, 6), nps=4, meetings=0)  # the last reply 45+ days ago
    _earlier_automated_touch(builder, account_id, days_ago=CASCADE_TOUCH_DAYS_AGO)

    # The CSM's veto: would be automated, stays human.
    account_id = account("veto", "smb", 9_000.0, always_human=True, always_human_by=owner["veto"])
    builder.usage(account_id, 25, lambda d: 0.09, features=2)
    builder.ticket(account_id, CALM_TICKETS[4], severity="low", days_ago=30, still_open=False)
    builder.engagement(account_id, reply_rate=0.5, nps=3, meetings=0)

    # Frustration rising this month: three frustrated tickets in 30 days, none before.
    account_id = account("frustrated", "smb", 6_600.0)
    builder.usage(account_id, 20, lambda d: 0.55, features=3)
    builder.ticket(account_id, CALM_TICKETS[2], severity="low", days_ago=70, still_open=False)
    for n, text in enumerate((FRUSTRATED_TICKETS[0], FRUSTRATED_TICKETS[4], FRUSTRATED_TICKETS[6])):
        builder.ticket(account_id, text, severity="high", days_ago=4 + 8 * n, still_open=n == 0)
    builder.engagement(account_id, reply_rate=0.5, nps=6, meetings=0)

    # Automated outreach nobody answers: 1 reply to 7 emails in 90 days.
    account_id = account("low_reply", "smb", 5_400.0)
    builder.usage(account_id, 15, lambda d: 0.6, features=3)
    builder.ticket(account_id, CALM_TICKETS[7], severity="low", days_ago=25, still_open=False)
    builder.engagement(account_id, replied_to=(5,), nps=None, meetings=0)

    # Self-serve, low value, calm, and barely used: what full automation is for.
    account_id = account("self_serve", "self_serve", 600.0)
    builder.usage(account_id, 10, lambda d: 0.12, features=1)
    builder.ticket(account_id, CALM_TICKETS[9], severity="low", days_ago=60, still_open=False)
    builder.engagement(account_id, reply_rate=0.4, nps=None, meetings=0)

    # Ready to grow: nearly every seat in use, the team growing, broad adoption, happy.
    account_id = account("expansion", "mid_market", 60_000.0, account_executive_slack_id=ACCOUNT_EXECUTIVE)
    builder.usage(account_id, 50, lambda d: 0.55 + 0.45 * d / builder.days, features=6)
    builder.ticket(account_id, CALM_TICKETS[11], severity="low", days_ago=15, still_open=False)
    builder.engagement(account_id, reply_rate=0.6, nps=9, meetings=3)

    # A healthy renewal 60 days out: the automated reminder a renewal campaign sends.
    account_id = account("renewal_campaign", "smb", 9_600.0, renewal=60)
    builder.usage(account_id, 20, lambda d: 0.8, features=4)
    builder.ticket(account_id, CALM_TICKETS[3], severity="low", days_ago=35, still_open=False)
    builder.engagement(account_id, reply_rate=0.6, nps=9, meetings=1)
    return dict(STORIES)


def _onboarding(
    builder: AccountBuilder, account_id: str, *, started_days_ago: int, overdue_step: str, overdue_days: int
) -> None:
    """A young account's plan: the steps due so far done on time but one, overdue."""
    start = builder.as_of - timedelta(days=started_days_ago)
    plan = [
        ("Kickoff call", 7, True),
        ("SSO configured", 21, True),
        (overdue_step, started_days_ago - overdue_days, False),
    ]
    for step, due_in, done in plan:
        due = start + timedelta(days=due_in)
        completed = datetime.combine(due - timedelta(days=1), time(14), tzinfo=UTC) if done else None
        builder.rows.add(
            models.Milestone,
            {"account_id": account_id, "step": step, "due_date": due, "completed_at": completed},
        )


def _earlier_automated_touch(builder: AccountBuilder, account_id: str, *, days_ago: int) -> None:
    """What an earlier cycle did: a health_low signal routed to full automation, and its email,
    sent after the hold window (and counted as outreach)."""
    day = builder.as_of - timedelta(days=days_ago)
    queued = datetime.combine(day, time(6), tzinfo=UTC)
    sent = queued + timedelta(hours=2)
    signal_id = 1 + len(builder.rows.of(models.Signal))  # the book is written into empty tables
    reason = "Full automation: SMB account, low complexity."
    builder.rows.add(models.Signal, {
        "id": signal_id, "account_id": account_id, "trigger": "health_low", "as_of": day, "fired_at": queued,
        "summary": "Health 52 (red) is below 60: usage pulls it down most.", "details": {"score": 52, "band": "red"},
        "route": "auto", "reasons": {"codes": ["matrix_low_value_low_complexity"], "sentences": [reason]},
        "config_version": 1,
    })  # fmt: skip
    builder.rows.add(models.OutboxMessage, {
        "idempotency_key": f"signal:{signal_id}:auto", "account_id": account_id, "card_id": None,
        "signal_id": signal_id, "channel": "email", "recipient": f"owner@{account_id.lower()}.example",
        "subject": "Checking in", "body": "Hi there, how is the team getting on?", "state": "sent",
        "created_at": queued, "send_after": sent, "sent_at": sent, "attempts": 1, "last_error": None,
    })  # fmt: skip
    builder.rows.add(
        models.EngagementEvent, {"account_id": account_id, "at": sent, "kind": "outreach_sent", "value": None}
    )
