"""The seeds' hard cases, planted in every synthetic book with fixed ids.

Each is shaped so that the right answer is unambiguous: the migration looks like a usage
crash but is explained by context; the incident lands during a renewal window; the whale is
above 2% of total ARR; the SMB account is exactly what full automation is for; the last one
carries two complexity indicators at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.synthetic.book import AccountBuilder

CASES = {
    "migration": "ACC-MIGRATE",
    "incident_renewal": "ACC-INCIDENT",
    "whale": "ACC-WHALE",
    "safe_to_automate": "ACC-SMBAUTO",
    "two_complexity": "ACC-COMPLEX",
}
MIN_ACCOUNTS = 10
WHALE_SHARE = 0.03  # of the whole book's ARR, comfortably above the 2% rule


def plant_all(builder: AccountBuilder, owners: list[str]) -> dict[str, str]:
    from storage import models

    days = builder.days
    # An instance migration: usage fell ~70% over the last ten days; otherwise a healthy account.
    account_id = CASES["migration"]
    builder.account(account_id, "Northwind Migration Co", "mid_market", 96_000.0, owners[0], seats=120)
    builder.usage(account_id, 120, lambda day: 0.78 if day < days - 10 else 0.2)
    builder.tickets(account_id, calm=1, frustrated=0)
    builder.billing(account_id, troubled=False)
    builder.engagement(account_id, reply_rate=0.5, nps=8)
    builder.context(account_id, "migration", days_ago=10, note="Moving to the EU instance")

    # A security incident three days ago, 45 days before renewal, with urgent tickets about it.
    account_id = CASES["incident_renewal"]
    builder.account(
        account_id,
        "Meridian Health Partners",
        "mid_market",
        120_000.0,
        owners[1 % len(owners)],
        seats=150,
        renewal_in_days=45,
    )
    builder.usage(account_id, 150, lambda day: 0.55 if day < days - 14 else 0.25)
    builder.tickets(account_id, calm=1, frustrated=0, incident=2, escalations=1)
    builder.billing(account_id, troubled=False)
    builder.engagement(account_id, reply_rate=0.4, nps=6)
    builder.context(account_id, "security_incident", days_ago=3, note="Data breach under investigation")

    # Two complexity indicators at once: a custom contract negotiation and a compliance review.
    account_id = CASES["two_complexity"]
    builder.account(
        account_id, "Cobalt Compliance Group", "mid_market", 80_000.0, owners[2 % len(owners)], seats=90
    )
    builder.usage(account_id, 90, lambda day: 0.45)
    builder.tickets(account_id, calm=2, frustrated=1)
    builder.billing(account_id, troubled=False)
    builder.engagement(account_id, reply_rate=0.3, nps=6)
    builder.context(account_id, "custom_contract", days_ago=20, note="Negotiating custom DPA terms")
    builder.context(account_id, "compliance_review", days_ago=5, note="SOC 2 vendor review")

    # Low value, low complexity, calm, responsive, but barely using the product: automate.
    account_id = CASES["safe_to_automate"]
    builder.account(account_id, "Lark Bakery Supplies", "smb", 8_400.0, owners[0], seats=20)
    builder.usage(account_id, 20, lambda day: 0.08)
    builder.tickets(account_id, calm=1, frustrated=0)
    builder.billing(account_id, troubled=False)
    builder.engagement(account_id, reply_rate=0.45, nps=5, meetings=0)

    # The whale: enterprise, 3% of total ARR, usage sliding.
    others = sum(row["arr"] for row in builder.rows.tables[models.Account])
    account_id = CASES["whale"]
    whale_arr = round(others * WHALE_SHARE / (1 - WHALE_SHARE), -2)
    builder.account(
        account_id, "Atlas Global Freight", "enterprise", whale_arr, owners[1 % len(owners)], seats=1500
    )
    builder.usage(account_id, 1500, lambda day: 0.6 - 0.5 * day / days)
    builder.tickets(account_id, calm=2, frustrated=2)
    builder.billing(account_id, troubled=False)
    builder.engagement(account_id, reply_rate=0.35, nps=6)
    return dict(CASES)
