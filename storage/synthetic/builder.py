"""Writes one synthetic account's rows: the account, daily usage, feature usage, tickets,
billing, engagement, context, onboarding milestones and past renewal outcomes.

Random accounts and the planted hard cases both go through it, so they share one shape. All
randomness comes from the `random.Random` it is given; all dates from `as_of`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta

from scoring.sentiment import ticket_tone
from storage import models
from storage.synthetic import vocabulary as words
from storage.synthetic.rows import BookRows

WEEKEND_FACTOR = 0.35  # share of the weekday level that logs in on a Saturday or Sunday
FEATURE_DAYS = 30  # feature usage is kept for the most recent days only
OUTREACH_EMAILS = 8  # fortnightly automated outreach over the last ~4 months
YEAR = 365

UtilisationCurve = Callable[[int], float]  # day offset (0 = oldest, days - 1 = as_of) -> share of seats


class AccountBuilder:
    def __init__(self, rng: random.Random, rows: BookRows, *, as_of: date, days: int) -> None:
        self.rng, self.rows, self.as_of, self.days = rng, rows, as_of, days
        self.day_list = [as_of - timedelta(days=days - 1 - offset) for offset in range(days)]
        self.weekday_factor = [1.0 if day.weekday() < 5 else WEEKEND_FACTOR for day in self.day_list]
        self._names: set[str] = set()
        self._tickets = 0
        self.total_arr = 0.0  # every account's ARR so far (the rows may be written in chunks)

    # -- names and times ---------------------------------------------------------------
    def reserve_names(self, names: Iterable[str]) -> None:
        self._names.update(names)

    def company_name(self) -> str:
        rng = self.rng
        for _ in range(100):
            name = f"{rng.choice(words.COMPANY_HEADS)} {rng.choice(words.COMPANY_TAILS)}"
            if rng.random() < 0.4 or name in self._names:
                name = f"{name} {rng.choice(words.COMPANY_SUFFIXES)}"
            if name not in self._names:
                break
        else:  # a book larger than the word lists: still unique, still readable
            name = f"{name} {len(self._names) + 1}"
        self._names.add(name)
        return name

    def at(self, days_ago: float, hour: int = 10) -> datetime:
        return datetime.combine(self.as_of, time(hour), tzinfo=UTC) - timedelta(days=days_ago)

    # -- the account ---------------------------------------------------------------------
    def account(
        self,
        account_id: str,
        name: str,
        segment: str,
        arr: float,
        owner: str,
        *,
        renewal_in_days: int,
        contract_start: date,
        automation_mode: str | None = None,
    ) -> None:
        rng = self.rng
        slug = "".join(ch for ch in name.lower() if ch.isalnum())
        contact = f"{rng.choice(words.FIRST_NAMES).lower()}.{rng.choice(words.LAST_NAMES).lower()}"
        contact = "".join(ch for ch in contact if ch.isascii() and (ch.isalnum() or ch == "."))
        renewal = self.as_of + timedelta(days=renewal_in_days)
        self.total_arr += arr
        self.rows.add(models.Account, {
            "account_id": account_id, "name": name, "segment": segment, "arr": arr, "owner_slack_id": owner,
            "renewal_date": renewal, "industry": rng.choice(words.INDUSTRIES), "contract_start": contract_start,
            "timezone": rng.choice(words.TIMEZONES), "automation_mode": automation_mode,
            "contact_email": f"{contact}@{slug}.example", "shared_channel_id": None, "domain": None, "champion_email": None, "always_human": False,
            # Every row has every column: a bulk insert takes its columns from the first row.
            "always_human_by": None, "account_executive_slack_id": None,
        })  # fmt: skip
        previous = renewal - timedelta(days=YEAR)
        while previous - timedelta(days=YEAR - 30) >= contract_start:  # every anniversary already passed
            self.rows.add(
                models.RenewalOutcome,
                {"account_id": account_id, "renewal_date": previous, "outcome": "renewed"},
            )
            previous -= timedelta(days=YEAR)

    # -- product usage -------------------------------------------------------------------
    def usage(
        self,
        account_id: str,
        seats: int,
        curve: UtilisationCurve,
        *,
        first_offset: int = 0,
        features: int = 3,
    ) -> None:
        """Daily active users on `seats` seats: the curve's weekday level, a weekend dip and
        ±8% noise; from `first_offset` on (a young account has no usage before its contract).
        `features` is how many product features the account uses (adoption breadth)."""
        rng, random_ = self.rng, self.rng.random
        used = rng.sample(words.FEATURES, min(len(words.FEATURES), max(0, features)))
        feature_from = self.days - FEATURE_DAYS
        usage_rows, feature_rows = [], []
        for offset in range(max(0, first_offset), self.days):
            utilisation = max(0.0, curve(offset)) * self.weekday_factor[offset] * (0.92 + 0.16 * random_())
            active = min(seats, int(seats * utilisation + 0.5))
            day = self.day_list[offset]
            usage_rows.append({
                "account_id": account_id, "day": day, "active_users": active, "licensed_seats": seats,
                "events": active * (5 + int(random_() * 36)),
            })  # fmt: skip
            if offset >= feature_from and active:
                for feature in used:
                    if random_() < 0.45:
                        count = active * (1 + int(random_() * 4))
                        feature_rows.append(
                            {"account_id": account_id, "day": day, "feature": feature, "count": count}
                        )
        self.rows.extend(models.UsageDaily, usage_rows)
        self.rows.extend(models.FeatureUsage, feature_rows)

    def blank_usage(self, account_id: str, *, days_ago: int, lasts_days: int) -> None:
        """A data-source gap: the account's usage reads zero on those days (its usage rows
        are the latest ones added, so the search stops at the first row of another account)."""
        gap = {self.as_of - timedelta(days=days_ago - n) for n in range(lasts_days + 1)}
        for row in reversed(self.rows.of(models.UsageDaily)):
            if row["account_id"] != account_id:
                break
            if row["day"] in gap:
                row["active_users"] = row["events"] = 0

    # -- support ---------------------------------------------------------------------------
    def ticket(
        self,
        account_id: str,
        text: tuple[str, str],
        *,
        severity: str,
        days_ago: float,
        escalation: bool = False,
        still_open: bool | None = None,
    ) -> str:
        """One ticket; closed after a while unless `still_open` (default: recent ones may be open)."""
        rng = self.rng
        self._tickets += 1
        ticket_id = f"T-{self._tickets:07d}"
        opened = self.at(days_ago, hour=rng.randint(7, 18))
        if still_open is None:
            still_open = days_ago < 7 and rng.random() < 0.5
        closed = None if still_open else min(opened + timedelta(days=rng.uniform(0.1, 6)), self.at(0, hour=6))
        self.rows.add(models.Ticket, {
            "ticket_id": ticket_id, "account_id": account_id, "opened_at": opened,
            "closed_at": closed if closed is None or closed > opened else None, "severity": severity,
            "subject": text[0], "body": text[1], "is_escalation_request": escalation,
            "sentiment": ticket_tone(*text),
        })  # fmt: skip
        return ticket_id

    def calm_tickets(self, account_id: str, count: int) -> None:
        for _ in range(count):
            severity = self.rng.choice(("low", "low", "normal"))
            self.ticket(
                account_id,
                self.rng.choice(words.CALM_TICKETS),
                severity=severity,
                days_ago=self.rng.uniform(3, 110),
            )

    def frustrated_tickets(self, account_id: str, count: int, *, escalations: int = 0) -> None:
        for n in range(count):
            escalation = n < escalations
            texts = words.ESCALATION_TICKETS if escalation else words.FRUSTRATED_TICKETS
            severity = self.rng.choice(("normal", "high", "high", "urgent"))
            self.ticket(
                account_id,
                self.rng.choice(texts),
                severity=severity,
                days_ago=self.rng.uniform(1, 28),
                escalation=escalation,
            )

    # -- billing, engagement, context, onboarding -----------------------------------------------
    def billing(
        self, account_id: str, arr: float, *, trouble: str | None = None, change: str | None = None
    ) -> None:
        """Four monthly invoices, paid; `trouble` (invoice_overdue / payment_failed) replaces
        the latest and the one two months before (a troubled payer is late again and again,
        which also lets calibration see billing trouble before a renewal); `change` (downgrade /
        upgrade) adds a plan change six weeks ago."""
        monthly = round(arr / 12, 2)
        for month in range(4):
            kind = trouble if trouble and month in (0, 2) else "invoice_paid"
            day = self.as_of - timedelta(days=5 + 30 * month)
            self.rows.add(
                models.BillingEvent, {"account_id": account_id, "day": day, "kind": kind, "amount": monthly}
            )
        if change:
            amount = round(monthly * self.rng.uniform(0.1, 0.3), 2)
            day = self.as_of - timedelta(days=42)
            self.rows.add(
                models.BillingEvent, {"account_id": account_id, "day": day, "kind": change, "amount": amount}
            )

    def engagement(
        self,
        account_id: str,
        *,
        reply_rate: float = 0.0,
        nps: int | None,
        meetings: int = 1,
        replied_to: tuple[int, ...] | None = None,
    ) -> None:
        """Fortnightly outreach emails, newest first; the customer answers round(8 × rate) of
        them at random, or exactly the emails numbered in `replied_to` (0 = the latest)."""
        if replied_to is None:
            replied_to = tuple(self.rng.sample(range(OUTREACH_EMAILS), round(OUTREACH_EMAILS * reply_rate)))
        replied = set(replied_to)
        events: list[tuple[datetime, str, float | None]] = []
        for n in range(OUTREACH_EMAILS):
            sent = self.at(3 + 14 * n, hour=9)
            events.append((sent, "outreach_sent", None))
            if n in replied:
                events.append((sent + timedelta(hours=self.rng.randint(2, 40)), "outreach_replied", None))
        events += [(self.at(10 + 30 * n, hour=15), "meeting", None) for n in range(meetings)]
        if nps is not None:
            events.append((self.at(40, hour=12), "nps", float(nps)))
        self.rows.extend(
            models.EngagementEvent,
            [
                {"account_id": account_id, "at": at, "kind": kind, "value": value}
                for at, kind, value in events
            ],
        )

    def context(
        self, account_id: str, kind: str, *, days_ago: float, note: str = "", lasts_days: float | None = None
    ) -> None:
        starts = self.at(days_ago, hour=6)
        ends = starts + timedelta(days=lasts_days) if lasts_days is not None else None
        self.rows.add(
            models.ContextEvent,
            {"account_id": account_id, "kind": kind, "starts_at": starts, "ends_at": ends, "note": note},
        )

    def milestones(self, account_id: str, contract_start: date, *, stalled: bool) -> None:
        """The onboarding plan: steps due so far are done, except that a stalled account stops
        at one of them (that step and the later ones are overdue)."""
        plan = [(step, contract_start + timedelta(days=due_in)) for step, due_in in words.ONBOARDING_STEPS]
        due_so_far = sum(1 for _, due in plan if due < self.as_of)
        stuck_at = self.rng.randrange(due_so_far) if stalled and due_so_far else len(plan)
        for index, (step, due) in enumerate(plan):
            done = index < stuck_at and (due < self.as_of or self.rng.random() < 0.2)
            latest = self.as_of - timedelta(days=1)
            completed_on = max(contract_start, min(due - timedelta(days=self.rng.randint(0, 4)), latest))
            completed = datetime.combine(completed_on, time(14), tzinfo=UTC) if done else None
            self.rows.add(
                models.Milestone,
                {"account_id": account_id, "step": step, "due_date": due, "completed_at": completed},
            )
