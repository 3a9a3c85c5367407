"""The ordinary accounts of a synthetic book: segment mix, ARR and seats per segment, and a
usage profile (healthy, growing, slowly declining, sharply declining, low adoption, or young
and onboarding) that shapes the account's tickets, billing and engagement too.

Tuned so that the book is mostly Green and Yellow, with roughly 10–20% Red.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from storage.synthetic.builder import YEAR, AccountBuilder

SEGMENTS = (("enterprise", 0.10), ("mid_market", 0.25), ("smb", 0.40), ("self_serve", 0.25))
ARR_RANGE = {
    "enterprise": (150_000, 600_000),
    "mid_market": (30_000, 150_000),
    "smb": (5_000, 30_000),
    "self_serve": (600, 5_000),
}
SEATS_RANGE = {"enterprise": (200, 1200), "mid_market": (50, 300), "smb": (10, 60), "self_serve": (2, 15)}
MEETINGS = {"enterprise": (1, 3), "mid_market": (1, 2), "smb": (0, 1), "self_serve": (0, 0)}
YOUNG_SHARE = 0.08  # accounts still onboarding (contract younger than 90 days)
STALLED_SHARE = 0.35  # of young accounts: an onboarding step is overdue


@dataclass(frozen=True)
class Profile:
    share: float
    start: tuple[float, float]  # weekday utilisation at the start of the window
    end: tuple[float, float]  # ... and at as_of
    reply_rate: tuple[float, float]
    nps: tuple[int, int]
    frustrated_chance: float  # of 1–3 frustrated tickets in the last month
    billing_trouble_chance: float
    plan_change: str | None = None  # downgrade / upgrade
    plan_change_chance: float = 0.0
    crash: bool = False  # the fall happens in the last 10–20 days, not over the whole window


PROFILES = {
    "healthy": Profile(0.62, (0.65, 0.9), (0.65, 0.9), (0.35, 0.65), (7, 10), 0.05, 0.03),
    "growing": Profile(0.06, (0.6, 0.75), (0.85, 1.0), (0.4, 0.7), (8, 10), 0.02, 0.0, "upgrade", 0.4),
    "declining": Profile(0.20, (0.6, 0.8), (0.35, 0.5), (0.2, 0.45), (4, 8), 0.6, 0.25, "downgrade", 0.08),
    "crashing": Profile(0.06, (0.6, 0.8), (0.08, 0.2), (0.05, 0.3), (1, 6), 0.6, 0.25, crash=True),
    "low_adoption": Profile(0.06, (0.2, 0.35), (0.2, 0.35), (0.15, 0.4), (4, 7), 0.2, 0.1),
}
CONTEXT_ROLLS = (  # (cumulative chance, kind, note, lasts_days)
    (0.015, "champion_change", "Our champion left the company", None),
    (0.020, "layoffs", "Announced a 15% reduction in force", None),
    (0.025, "merger", "Being acquired; integration team assigned", None),
    (0.035, "data_gap", "Usage export paused by their IT for a firewall change", 3.0),
    (0.045, "executive_business_review", "EBR scheduled with their COO", None),
    (0.052, "technical_escalation", "Engineering investigating a sync defect", None),
    (0.058, "multi_stakeholder_implementation", "Rolling out to three business units", None),
    (0.062, "custom_contract", "Negotiating custom terms", None),
    (0.066, "compliance_review", "Annual vendor security questionnaire", None),
    (0.086, "migration", "Moved to a new instance (finished)", 7.0),
)


def pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    roll, total = rng.random(), 0.0
    for value, weight in weighted:
        total += weight
        if roll < total:
            return value
    return weighted[-1][0]


def add_random_account(builder: AccountBuilder, account_id: str, owner: str) -> None:
    rng = builder.rng
    segment = pick(rng, SEGMENTS)
    arr = round(rng.uniform(*ARR_RANGE[segment]), -2)
    seats = rng.randint(*SEATS_RANGE[segment])
    young = rng.random() < YOUNG_SHARE
    if young:
        age = rng.randint(14, 89)
        contract_start = builder.as_of - timedelta(days=age)
        renewal_in_days = YEAR - age
    else:
        renewal_in_days = rng.randint(1, YEAR)
        years = rng.randint(1, 4) if renewal_in_days <= YEAR - 90 else rng.randint(2, 4)
        contract_start = builder.as_of + timedelta(days=renewal_in_days - YEAR * years)
    roll = rng.random()
    mode = "assist" if roll < 0.03 else "human" if roll < 0.05 else None
    builder.account(
        account_id,
        builder.company_name(),
        segment,
        arr,
        owner,
        renewal_in_days=renewal_in_days,
        contract_start=contract_start,
        automation_mode=mode,
    )
    if young:
        _young_account(builder, account_id, arr, seats, contract_start=contract_start)
    else:
        _established_account(builder, account_id, segment, arr, seats)
    _maybe_context(builder, account_id)


def _established_account(
    builder: AccountBuilder, account_id: str, segment: str, arr: float, seats: int
) -> None:
    """A profile's usage curve, and the tickets, billing and engagement that go with it."""
    rng, days = builder.rng, builder.days
    name = pick(rng, tuple((key, profile.share) for key, profile in PROFILES.items()))
    profile = PROFILES[name]
    start, end = rng.uniform(*profile.start), rng.uniform(*profile.end)
    if profile.crash:
        fall_from = days - rng.randint(10, 20)
        builder.usage(
            account_id, seats, lambda d: start if d < fall_from else end, features=rng.randint(1, 3)
        )
    else:
        phase = rng.uniform(0, 2 * math.pi)

        def curve(d: int) -> float:
            return (start + (end - start) * d / days) * (1 + 0.05 * math.sin(phase + d / 4.5))

        breadth = rng.randint(3, 5) if name in ("healthy", "growing") else rng.randint(1, 3)
        builder.usage(account_id, seats, curve, features=breadth)
    frustrated = rng.randint(1, 3) if rng.random() < profile.frustrated_chance else 0
    escalations = min(frustrated, 1 if rng.random() < 0.25 else 0)
    builder.calm_tickets(account_id, rng.randint(0, 3))
    builder.frustrated_tickets(account_id, frustrated, escalations=escalations)
    trouble = (
        rng.choice(("invoice_overdue", "payment_failed"))
        if rng.random() < profile.billing_trouble_chance
        else None
    )
    change = profile.plan_change if rng.random() < profile.plan_change_chance else None
    builder.billing(account_id, arr, trouble=trouble, change=change)
    nps = rng.randint(*profile.nps) if rng.random() < 0.9 else None
    builder.engagement(
        account_id,
        reply_rate=rng.uniform(*profile.reply_rate),
        nps=nps,
        meetings=rng.randint(*MEETINGS[segment]),
    )


def _young_account(
    builder: AccountBuilder, account_id: str, arr: float, seats: int, *, contract_start: date
) -> None:
    """Onboarding: usage ramps up from the contract start; a stalled one ramps to less."""
    rng = builder.rng
    stalled = rng.random() < STALLED_SHARE
    level = rng.uniform(0.2, 0.45) if stalled else rng.uniform(0.5, 0.85)
    first = builder.days - 1 - (builder.as_of - contract_start).days  # the contract start's day offset

    def ramp(d: int) -> float:
        return level * min(1.0, 0.3 + 0.7 * (d - first) / 21)

    builder.usage(account_id, seats, ramp, first_offset=first, features=rng.randint(1, 4))
    builder.milestones(account_id, contract_start, stalled=stalled)
    builder.calm_tickets(account_id, rng.randint(1, 3))
    builder.billing(account_id, arr)
    builder.engagement(account_id, reply_rate=rng.uniform(0.3, 0.6), nps=None, meetings=rng.randint(0, 2))


def _maybe_context(builder: AccountBuilder, account_id: str) -> None:
    roll = builder.rng.random()
    for chance, kind, note, lasts_days in CONTEXT_ROLLS:
        if roll < chance:
            days_ago = builder.rng.randint(60, 90) if kind == "migration" else builder.rng.randint(2, 25)
            builder.context(account_id, kind, days_ago=days_ago, note=note, lasts_days=lasts_days)
            if kind == "data_gap" and lasts_days is not None:
                builder.blank_usage(account_id, days_ago=days_ago, lasts_days=int(lasts_days))
            return
