"""A reproducible synthetic book of business, with the seeds' hard cases planted.

Same seed, same book: everything comes from one `random.Random(seed)` and `as_of`, never the
wall clock. Rows are written with bulk inserts so 10,000 accounts seed in seconds.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from storage import models
from storage.synthetic import planted
from storage.synthetic import vocabulary as words

ACCOUNTS_PER_CSM = 40
BATCH = 5000
SEGMENTS = (("enterprise", 0.10), ("mid_market", 0.25), ("smb", 0.40), ("self_serve", 0.25))
ARR_RANGE = {
    "enterprise": (150_000, 600_000),
    "mid_market": (30_000, 150_000),
    "smb": (5_000, 30_000),
    "self_serve": (600, 5_000),
}
SEATS_RANGE = {"enterprise": (200, 1200), "mid_market": (50, 300), "smb": (10, 60), "self_serve": (2, 15)}
# Profile: (share of the book, utilisation at the start, utilisation at the end, reply rate)
PROFILES = {
    "healthy": (0.66, (0.65, 0.9), (0.65, 0.9), 0.5),
    "declining": (0.20, (0.6, 0.8), (0.3, 0.45), 0.38),
    "crashing": (0.07, (0.6, 0.8), (0.1, 0.2), 0.12),
    "low_adoption": (0.07, (0.15, 0.3), (0.15, 0.3), 0.3),
}
# Tables in the order a replace must empty them (children first).
TABLES = (
    models.OverrideRecord, models.OutboxMessage, models.EscalationCard, models.Draft, models.Signal,
    models.HealthSnapshot, models.DigestRun, models.RenewalOutcome, models.Milestone, models.ContextEvent,
    models.EngagementEvent, models.BillingEvent, models.Ticket, models.FeatureUsage, models.UsageDaily,
    models.Account, models.User,
)  # fmt: skip


@dataclass
class BookSummary:
    as_of: date
    counts: dict[str, int] = field(default_factory=dict)
    planted: dict[str, str] = field(default_factory=dict)
    total_arr: float = 0.0

    def render(self) -> str:
        counts = ", ".join(f"{table} {n}" for table, n in self.counts.items())
        cases = "\n".join(f"  {case}: {account_id}" for case, account_id in self.planted.items())
        return f"Book as of {self.as_of.isoformat()}: total ARR ${self.total_arr:,.0f}\n  {counts}\nPlanted hard cases:\n{cases}"


@dataclass
class Rows:
    """Every row of the book, by table, ready for bulk insert."""

    tables: dict[type[models.Base], list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, model: type[models.Base], row: dict[str, Any]) -> None:
        self.tables.setdefault(model, []).append(row)


def generate_book(
    session_factory: sessionmaker[Session],
    *,
    accounts: int = 200,
    seed: int = 7,
    as_of: date,
    days: int = 120,
    replace: bool = False,
) -> BookSummary:
    if accounts < planted.MIN_ACCOUNTS:
        raise ValueError(f"a book needs at least {planted.MIN_ACCOUNTS} accounts, got {accounts}")
    rng = random.Random(seed)
    rows = Rows()
    owners = _people(rng, rows, accounts)
    builder = AccountBuilder(rng, rows, as_of, days)
    for index in range(accounts - len(planted.CASES)):
        builder.random_account(index, rng.choice(owners))
    planted_ids = planted.plant_all(builder, owners)

    with session_factory() as session, session.begin():
        existing = session.scalar(select(func.count()).select_from(models.Account)) or 0
        if existing and not replace:
            raise ValueError(f"the database already holds {existing} accounts; use --replace to start over")
        if replace:
            for emptied in TABLES:
                session.execute(delete(emptied))
        ordered: list[type[models.Base]] = [models.User, models.Account]  # parents before children
        ordered += [model for model in rows.tables if model not in ordered]
        for table in ordered:
            table_rows = rows.tables.get(table, [])
            for start in range(0, len(table_rows), BATCH):
                session.execute(insert(table), table_rows[start : start + BATCH])
    counts = {model.__tablename__: len(table_rows) for model, table_rows in rows.tables.items()}
    total = sum(row["arr"] for row in rows.tables[models.Account])
    return BookSummary(as_of=as_of, counts=counts, planted=planted_ids, total_arr=total)


def _people(rng: random.Random, rows: Rows, accounts: int) -> list[str]:
    """Managers, ops and admin, and the CSMs who own accounts; returns the CSM ids."""
    names = _unique_names(rng)
    for i in (1, 2):
        rows.add(models.User, _user(f"U0MGR00{i}", next(names), "manager", None, words.TIMEZONES[i - 1]))
    rows.add(models.User, _user("U0OPS001", next(names), "ops", None, "Europe/London"))
    rows.add(models.User, _user("U0ADM001", next(names), "admin", None, "Europe/London"))
    csms = []
    for i in range(max(3, math.ceil(accounts / ACCOUNTS_PER_CSM))):
        slack_id = f"U0CSM{i + 1:03d}"
        manager = f"U0MGR00{1 + i % 2}"
        rows.add(
            models.User,
            _user(slack_id, next(names), "csm", manager, words.TIMEZONES[i % len(words.TIMEZONES)]),
        )
        csms.append(slack_id)
    return csms


def _unique_names(rng: random.Random) -> Any:
    seen: set[str] = set()
    while True:
        name = f"{rng.choice(words.FIRST_NAMES)} {rng.choice(words.LAST_NAMES)}"
        if name not in seen:
            seen.add(name)
            yield name


def _user(slack_id: str, name: str, role: str, manager: str | None, tz: str) -> dict[str, Any]:
    email = name.lower().replace(" ", ".").encode("ascii", "ignore").decode() + "@tandem-customer.example"
    return {
        "slack_id": slack_id,
        "name": name,
        "role": role,
        "email": email,
        "manager_slack_id": manager,
        "timezone": tz,
        "digest_time": "08:30",
    }


class AccountBuilder:
    """Writes one account's rows; the planted cases call it with fixed shapes."""

    def __init__(self, rng: random.Random, rows: Rows, as_of: date, days: int) -> None:
        self.rng, self.rows, self.as_of, self.days = rng, rows, as_of, days
        self._names: set[str] = set()

    def company_name(self) -> str:
        for _ in range(1000):
            name = f"{self.rng.choice(words.NAME_HEADS)} {self.rng.choice(words.NAME_TAILS)}"
            if name not in self._names:
                self._names.add(name)
                return name
        name = f"{self.rng.choice(words.NAME_HEADS)} {self.rng.choice(words.NAME_TAILS)} {len(self._names)}"
        self._names.add(name)
        return name

    def at(self, days_ago: float, hour: int = 10) -> datetime:
        return datetime.combine(self.as_of, time(hour), tzinfo=UTC) - timedelta(days=days_ago)

    def random_account(self, index: int, owner: str) -> None:
        rng = self.rng
        segment = _pick(rng, SEGMENTS)
        profile = _pick(rng, [(name, spec[0]) for name, spec in PROFILES.items()])
        _, start_range, end_range, reply = PROFILES[profile]
        account_id = f"ACC-{index + 1:05d}"
        seats = rng.randint(*SEATS_RANGE[segment])
        self.account(
            account_id,
            self.company_name(),
            segment,
            round(rng.uniform(*ARR_RANGE[segment]), -2),
            owner,
            seats=seats,
        )
        start, end = rng.uniform(*start_range), rng.uniform(*end_range)
        self.usage(account_id, seats, lambda day: start + (end - start) * day / self.days)
        frustrated = profile in ("declining", "crashing") and rng.random() < 0.6
        self.tickets(account_id, calm=rng.randint(0, 3), frustrated=rng.randint(1, 3) if frustrated else 0)
        self.billing(account_id, troubled=profile != "healthy" and rng.random() < 0.25)
        self.engagement(
            account_id,
            reply_rate=reply,
            nps=rng.randint(7, 10) if profile == "healthy" else rng.randint(2, 7),
        )
        roll = rng.random()
        if roll < 0.02:
            self.context(
                account_id, "champion_change", days_ago=rng.randint(1, 20), note="Champion left the company"
            )
        elif roll < 0.05:
            kind = rng.choice(
                ("executive_business_review", "technical_escalation", "multi_stakeholder_implementation")
            )
            self.context(account_id, kind, days_ago=rng.randint(1, 20))

    def account(
        self,
        account_id: str,
        name: str,
        segment: str,
        arr: float,
        owner: str,
        *,
        seats: int,
        renewal_in_days: int | None = None,
        contract_age_days: int | None = None,
    ) -> None:
        rng = self.rng
        age = contract_age_days if contract_age_days is not None else rng.randint(120, 900)
        renewal = renewal_in_days if renewal_in_days is not None else rng.randint(10, 365)
        slug = name.lower().replace(" ", "")
        self.rows.add(models.Account, {
            "account_id": account_id, "name": name, "segment": segment, "arr": arr, "owner_slack_id": owner,
            "renewal_date": self.as_of + timedelta(days=renewal), "industry": rng.choice(words.INDUSTRIES),
            "contract_start": self.as_of - timedelta(days=age), "timezone": rng.choice(words.TIMEZONES),
            "automation_mode": None, "contact_email": f"{rng.choice(words.FIRST_NAMES).lower()}@{slug}.example",
            "shared_channel_id": None, "always_human": False,
        })  # fmt: skip
        if age < 90:
            self.milestones(account_id, age)

    def usage(self, account_id: str, seats: int, utilisation: Callable[[int], float]) -> None:
        rng = self.rng
        for offset in range(self.days):
            day = self.as_of - timedelta(days=self.days - 1 - offset)
            weekday = 1.0 if day.weekday() < 5 else 0.35
            util = max(0.0, utilisation(offset)) * weekday * rng.uniform(0.92, 1.08)
            active = min(seats, round(seats * util))
            self.rows.add(
                models.UsageDaily,
                {
                    "account_id": account_id,
                    "day": day,
                    "active_users": active,
                    "licensed_seats": seats,
                    "events": active * rng.randint(5, 40),
                },
            )
            if offset >= self.days - 30 and active:
                feature = rng.choice(words.FEATURES)
                self.rows.add(
                    models.FeatureUsage,
                    {
                        "account_id": account_id,
                        "day": day,
                        "feature": feature,
                        "count": active * rng.randint(1, 5),
                    },
                )

    def tickets(
        self, account_id: str, *, calm: int, frustrated: int, incident: int = 0, escalations: int = 0
    ) -> None:
        rng = self.rng
        specs = [
            (words.CALM_TICKETS, rng.choice(("low", "normal")), rng.uniform(5, 110)) for _ in range(calm)
        ]
        specs += [
            (words.FRUSTRATED_TICKETS, rng.choice(("high", "urgent", "normal")), rng.uniform(1, 25))
            for _ in range(frustrated)
        ]
        specs += [(words.INCIDENT_TICKETS, "urgent", rng.uniform(0.5, 3)) for _ in range(incident)]
        existing = len(self.rows.tables.get(models.Ticket, []))
        for n, (texts, severity, days_ago) in enumerate(specs):
            subject, body = texts[n % len(texts)] if texts is words.INCIDENT_TICKETS else rng.choice(texts)
            opened = self.at(days_ago, hour=rng.randint(7, 18))
            closed = (
                opened + timedelta(days=rng.uniform(0.2, 6)) if days_ago > 7 or rng.random() < 0.5 else None
            )
            self.rows.add(models.Ticket, {
                "ticket_id": f"T-{existing + n + 1:07d}", "account_id": account_id, "opened_at": opened,
                "closed_at": closed if closed and closed < self.at(0) else None, "severity": severity,
                "subject": subject, "body": body, "is_escalation_request": n >= len(specs) - escalations,
            })  # fmt: skip

    def billing(self, account_id: str, *, troubled: bool) -> None:
        for month in range(4):
            day = self.as_of - timedelta(days=5 + 30 * month)
            kind = "invoice_paid"
            if troubled and month == 0:
                kind = self.rng.choice(("invoice_overdue", "payment_failed"))
            self.rows.add(
                models.BillingEvent, {"account_id": account_id, "day": day, "kind": kind, "amount": 1000.0}
            )

    def engagement(self, account_id: str, *, reply_rate: float, nps: int | None, meetings: int = 1) -> None:
        """Eight fortnightly outreach emails; the customer answers round(8 x rate) of them."""
        sent_count = 8
        replied = set(self.rng.sample(range(sent_count), round(sent_count * reply_rate)))
        for n in range(sent_count):
            sent = self.at(3 + 14 * n, hour=9)
            self.rows.add(
                models.EngagementEvent,
                {"account_id": account_id, "at": sent, "kind": "outreach_sent", "value": None},
            )
            if n in replied:
                self.rows.add(
                    models.EngagementEvent,
                    {
                        "account_id": account_id,
                        "at": sent + timedelta(hours=20),
                        "kind": "outreach_replied",
                        "value": None,
                    },
                )
        for n in range(meetings):
            self.rows.add(
                models.EngagementEvent,
                {
                    "account_id": account_id,
                    "at": self.at(10 + 30 * n, hour=15),
                    "kind": "meeting",
                    "value": None,
                },
            )
        if nps is not None:
            self.rows.add(
                models.EngagementEvent,
                {"account_id": account_id, "at": self.at(40, hour=12), "kind": "nps", "value": float(nps)},
            )

    def context(self, account_id: str, kind: str, *, days_ago: int, note: str = "") -> None:
        self.rows.add(
            models.ContextEvent,
            {
                "account_id": account_id,
                "kind": kind,
                "starts_at": self.at(days_ago, hour=8),
                "ends_at": None,
                "note": note,
            },
        )

    def milestones(self, account_id: str, age_days: int) -> None:
        steps = (
            ("Kickoff call", 7),
            ("SSO configured", 21),
            ("Data import", 35),
            ("First report shared", 60),
        )
        start = self.as_of - timedelta(days=age_days)
        for step, due_in in steps:
            due = start + timedelta(days=due_in)
            done = due <= self.as_of and self.rng.random() < 0.75
            completed = datetime.combine(due - timedelta(days=1), time(12), tzinfo=UTC) if done else None
            self.rows.add(
                models.Milestone,
                {"account_id": account_id, "step": step, "due_date": due, "completed_at": completed},
            )


def _pick(rng: random.Random, weighted: Any) -> str:
    roll, total = rng.random(), 0.0
    for value, weight in weighted:
        total += weight
        if roll < total:
            return str(value)
    return str(weighted[-1][0])
