"""The seeds' hard cases, planted in every synthetic book with fixed ids and names.

Each is shaped so that the right answer is unambiguous:
- migration: usage fell ~70% over the last 10 days, explained by an instance migration that
  started the day the drop began; otherwise a healthy account (a false positive to avoid);
- incident_renewal: a security incident three days ago, 45 days before renewal, urgent and
  frustrated tickets about it, weak usage (Red): automated outreach must hold, and a person
  must hear of it (one card, once per crisis);
- whale: enterprise, 3% of the whole book's ARR (above the 2% rule for any book size), usage
  sliding to ~10% of seats (Red): a human reviews every touchpoint;
- safe_to_automate: small SMB account, calm, responsive, no context, but only ~15% of seats
  active (Red): exactly what full automation is for;
- two_complexity: a custom contract negotiation and a compliance review at once: escalate.
More stories (the enterprise exception, the ignored check-in, a veto, frustration, a low reply
rate, self-serve automation, expansion) are in `planted_stories`; `CASES` holds them all.
"""

from __future__ import annotations

from datetime import timedelta

from storage.synthetic.builder import YEAR, AccountBuilder
from storage.synthetic.planted_stories import STORIES, STORY_NAMES, plant_stories
from storage.synthetic.vocabulary import CALM_TICKETS, FRUSTRATED_TICKETS, INCIDENT_TICKETS

HARD_CASES = {
    "migration": "ACC-MIGRATE",
    "incident_renewal": "ACC-INCIDENT",
    "whale": "ACC-WHALE",
    "safe_to_automate": "ACC-SMBAUTO",
    "two_complexity": "ACC-COMPLEX",
}
CASES = {**HARD_CASES, **STORIES}
NAMES = {
    "migration": "Northwind Migration Co",
    "incident_renewal": "Meridian Health Partners",
    "whale": "Atlas Global Freight",
    "safe_to_automate": "Lark Bakery Supplies",
    "two_complexity": "Cobalt Compliance Group",
    **STORY_NAMES,
}
MIN_ACCOUNTS = 20
WHALE_SHARE = 0.03  # of the whole book's ARR, comfortably above the 2% rule
WHALE_MIN_ARR = 150_000.0  # still an enterprise contract in a tiny book
MIGRATION_DAYS = 10
INCIDENT_RENEWAL_IN_DAYS = 45
INCIDENT_DAYS_AGO = 3


def plant_all(builder: AccountBuilder, owners: list[str]) -> dict[str, str]:
    """Adds every planted case, after every other account (the whale, last, is sized on their ARR)."""
    days, as_of = builder.days, builder.as_of
    owner = {case: owners[index % len(owners)] for index, case in enumerate(HARD_CASES)}
    plant_stories(builder, owners)

    def established(case: str, segment: str, arr: float, renewal_in_days: int, years: int = 2) -> str:
        account_id = CASES[case]
        start = as_of + timedelta(days=renewal_in_days - YEAR * years)
        builder.account(
            account_id,
            NAMES[case],
            segment,
            arr,
            owner[case],
            renewal_in_days=renewal_in_days,
            contract_start=start,
        )
        return account_id

    # The migration: healthy for months, then ~70% fewer active users since the move began.
    account_id = established("migration", "mid_market", 96_000.0, renewal_in_days=200)
    drop_from = days - MIGRATION_DAYS
    builder.usage(account_id, 120, lambda d: 0.84 if d < drop_from else 0.27, features=5)
    builder.calm_tickets(account_id, 1)
    builder.billing(account_id, 96_000.0)
    builder.engagement(account_id, reply_rate=0.5, nps=8, meetings=2)
    builder.context(
        account_id, "migration", days_ago=MIGRATION_DAYS - 1, note="Moving to the EU instance"
    )  # starts the first low day

    # A security incident during the renewal window, with urgent, frustrated tickets about it.
    account_id = established("incident_renewal", "mid_market", 120_000.0, INCIDENT_RENEWAL_IN_DAYS, years=3)
    builder.usage(account_id, 150, lambda d: 0.3 - 0.15 * d / days, features=2)
    builder.calm_tickets(account_id, 1)
    for n, text in enumerate(INCIDENT_TICKETS):
        builder.ticket(
            account_id, text, severity="urgent", days_ago=2.5 - n, escalation=n == 0, still_open=True
        )
    builder.billing(account_id, 120_000.0)
    builder.engagement(account_id, reply_rate=0.4, nps=6)
    builder.context(
        account_id, "security_incident", days_ago=INCIDENT_DAYS_AGO, note="Data breach under investigation"
    )

    # Two complexity indicators at once, and middling health.
    account_id = established("two_complexity", "mid_market", 80_000.0, renewal_in_days=150)
    builder.usage(account_id, 90, lambda d: 0.42, features=3)
    builder.calm_tickets(account_id, 2)
    builder.ticket(account_id, FRUSTRATED_TICKETS[1], severity="high", days_ago=12)
    builder.billing(account_id, 80_000.0)
    builder.engagement(account_id, reply_rate=0.3, nps=6)
    builder.context(account_id, "custom_contract", days_ago=20, note="Negotiating custom DPA terms")
    builder.context(account_id, "compliance_review", days_ago=5, note="SOC 2 vendor review")

    # Low value, low complexity, calm and responsive, but barely using the product.
    account_id = established("safe_to_automate", "smb", 8_400.0, renewal_in_days=120, years=1)
    slide_from = days - 30  # ~20% of seats until a month ago, ~12% in the last week

    def slide(d: int) -> float:
        return 0.21 if d < slide_from else 0.21 - 0.1 * (d - slide_from) / 29

    builder.usage(account_id, 40, slide, features=1)
    builder.ticket(account_id, CALM_TICKETS[0], severity="low", days_ago=20, still_open=False)
    builder.billing(account_id, 8_400.0)
    builder.engagement(account_id, replied_to=(0, 2, 5), nps=6, meetings=0)  # 3 of 7 in 90 days

    # The whale: sized after every other account, so its share holds for any book size.
    others = builder.total_arr
    whale_arr = max(WHALE_MIN_ARR, round(others * WHALE_SHARE / (1 - WHALE_SHARE), -2))
    account_id = established("whale", "enterprise", whale_arr, renewal_in_days=240, years=3)
    builder.usage(account_id, 1500, lambda d: 0.6 - 0.5 * d / days, features=3)
    builder.ticket(account_id, CALM_TICKETS[6], severity="normal", days_ago=40)
    builder.ticket(account_id, FRUSTRATED_TICKETS[2], severity="high", days_ago=12)
    builder.ticket(account_id, FRUSTRATED_TICKETS[5], severity="high", days_ago=5)
    builder.billing(account_id, whale_arr)
    builder.engagement(account_id, replied_to=(1, 4), nps=4, meetings=1)  # 2 of 7 in 90 days: 29%
    return dict(CASES)
