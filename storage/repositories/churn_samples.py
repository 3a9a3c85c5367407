"""Labelled (account, day) samples for calibration: what the figures said, and who churned after.

Two sources, each a batch of FeatureTable rows as of one day with a 0/1 label per row:
- renewal: each renewal outcome, scored `lead_days` before its renewal date (the samples
  `outcomes.outcome_samples` scores), labelled 1 when the account churned at that renewal;
- monthly: at each month-end m, every account still a customer (its contract has started and
  it has not churned on or before m), labelled 1 when it churns in (m, m + horizon_days]:
  on its `churned_at` (monthly and self-serve customers) or at a renewal whose outcome was
  churned. Month-ends run from the first one at least WARM_UP_DAYS after the book's first data
  to the last one whose label window is fully observed (m + horizon_days on or before the
  latest day any data or outcome is on record).

Nothing after a batch's day reaches its table: the bulk loader bounds every window by as_of,
and `renewal_days` is recomputed from the renewal due on that day (the account row holds
today's next renewal, which moves on after each renewal: left as it is, it would set apart
the accounts that churned at a renewal). Accounts with no data at all on a day (no factor with
data) are left out and counted. One feature-table load per day, shared by both sources.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from scoring.config import TriggerConfig
from scoring.features import FeatureTable
from scoring.health import score_columns
from storage import models
from storage.enums import RenewalOutcomeKind
from storage.repositories.feature_table import load_feature_table
from storage.repositories.outcomes import DEFAULT_LEAD_DAYS

MONTHLY, RENEWAL = "monthly", "renewal"
DEFAULT_HORIZON_DAYS = 90
WARM_UP_DAYS = 60  # the first month-end is this long after the first data (windows have filled)


@dataclass(frozen=True)
class SampleBatch:
    as_of: date  # the day the figures are computed at (no data after it is read)
    table: FeatureTable  # the batch's accounts, ordered by account_id
    labels: np.ndarray  # 0/1 per row: churned within horizon_days after as_of / at this renewal
    source: str  # MONTHLY or RENEWAL


@dataclass
class ChurnSamples:
    batches: list[SampleBatch] = field(default_factory=list)  # by as_of, then source
    without_data: int = 0  # renewal outcomes whose account had nothing to score lead_days before
    monthly_without_data: int = 0  # (account, month-end) pairs of customers with nothing to score


@dataclass
class _Book:
    """The book's outcome history and extent, read once."""

    first_data_day: date | None
    last_known_day: date | None
    outcomes: list[tuple[str, date, bool]]  # (account_id, renewal_date, churned)
    first_churn: dict[str, date]  # the earliest churn per account (churned_at or a churned renewal)
    renewals: dict[str, list[date]]  # renewal dates on record per account (outcomes', the row's), sorted
    contract_start: dict[str, date | None]


def churn_sample_batches(
    session_factory: sessionmaker[Session],
    *,
    config: TriggerConfig,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    lead_days: int = DEFAULT_LEAD_DAYS,
    months: int | None = None,
) -> ChurnSamples:
    """Renewal and monthly sample batches, time-ordered; `months` keeps the latest N month-ends."""
    if horizon_days < 1:
        raise ValueError(f"horizon_days must be at least 1, got {horizon_days}")
    if months is not None and months < 0:
        raise ValueError(f"months must not be negative, got {months}")
    result = ChurnSamples()
    with session_factory() as session:  # one session: one consistent view of the book
        book = _read_book(session)
        renewal_days = _renewal_wanted(book, lead_days)
        month_ends = _month_ends(book, horizon_days, months)
        for day in sorted(set(renewal_days) | set(month_ends)):
            table = load_feature_table(session, as_of=day, config=config)
            has_data = ~np.isnan(score_columns(table, config).factor_scores).all(axis=1)
            if day in month_ends:
                result.batches.append(_monthly(table, has_data, book, horizon_days, result))
            if day in renewal_days:
                result.batches.append(_renewal(table, has_data, book, renewal_days[day], result))
    result.batches = [batch for batch in result.batches if len(batch.table)]
    return result


def _monthly(
    table: FeatureTable, has_data: np.ndarray, book: _Book, horizon_days: int, result: ChurnSamples
) -> SampleBatch:
    m = table.as_of
    customer = np.array([_customer_on(book, account_id, m) for account_id in table.account_ids], dtype=bool)
    result.monthly_without_data += int((customer & ~has_data).sum())
    rows = np.flatnonzero(customer & has_data)
    end = m + timedelta(days=horizon_days)
    labels = [int(book.first_churn.get(table.account_ids[i], date.max) <= end) for i in rows]
    return SampleBatch(m, _as_of_renewals(table.take(rows), book), np.array(labels, dtype=np.int64), MONTHLY)


def _customer_on(book: _Book, account_id: str, day: date) -> bool:
    """The account's contract has started (or its start is unknown) and it has not churned yet."""
    start = book.contract_start.get(account_id)
    churn = book.first_churn.get(account_id)
    return (start is None or start <= day) and (churn is None or churn > day)


def _renewal(
    table: FeatureTable,
    has_data: np.ndarray,
    book: _Book,
    wanted: list[tuple[str, bool]],
    result: ChurnSamples,
) -> SampleBatch:
    position = {account_id: i for i, account_id in enumerate(table.account_ids)}
    rows, labels = [], []
    for account_id, churned in sorted(wanted):
        i = position.get(account_id)
        if i is None or not has_data[i]:
            result.without_data += 1
            continue
        rows.append(i)
        labels.append(int(churned))
    taken = table.take(np.array(rows, dtype=np.intp))
    return SampleBatch(table.as_of, _as_of_renewals(taken, book), np.array(labels, dtype=np.int64), RENEWAL)


def _as_of_renewals(table: FeatureTable, book: _Book) -> FeatureTable:
    """`renewal_days` from the renewal due on the table's day: the first renewal date on record
    on or after it (an outcome's, or the account row's), else the loader's (the account row's
    renewal date, gone by, or none)."""
    as_of = table.as_of
    days = table.columns["renewal_days"]
    for i, account_id in enumerate(table.account_ids):
        dates = book.renewals.get(account_id, [])
        k = bisect.bisect_left(dates, as_of)
        if k < len(dates):
            days[i] = (dates[k] - as_of).days
    return table


def _renewal_wanted(book: _Book, lead_days: int) -> dict[date, list[tuple[str, bool]]]:
    by_day: dict[date, list[tuple[str, bool]]] = defaultdict(list)
    for account_id, renewal_date, churned in book.outcomes:
        by_day[renewal_date - timedelta(days=lead_days)].append((account_id, churned))
    return dict(by_day)


def _month_end(day: date) -> date:
    first_of_next = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first_of_next - timedelta(days=1)


def _month_ends(book: _Book, horizon_days: int, months: int | None) -> list[date]:
    if book.first_data_day is None or book.last_known_day is None:
        return []
    last = book.last_known_day - timedelta(days=horizon_days)  # every label window fully observed
    ends: list[date] = []
    m = _month_end(book.first_data_day + timedelta(days=WARM_UP_DAYS))
    while m <= last:
        ends.append(m)
        m = _month_end(m + timedelta(days=1))
    if months is not None:
        ends = ends[max(0, len(ends) - months) :]
    return ends


def _read_book(session: Session) -> _Book:
    o, c, a = models.RenewalOutcome, models.AccountChurn, models.Account
    activity = _activity_range(session)
    outcomes = [
        (account_id, day, outcome == RenewalOutcomeKind.CHURNED.value)
        for account_id, day, outcome in session.execute(select(o.account_id, o.renewal_date, o.outcome))
    ]
    churned_at = dict(session.execute(select(c.account_id, c.churned_at)).all())
    first_churn: dict[str, date] = dict(churned_at)
    renewals: dict[str, list[date]] = defaultdict(list)
    for account_id, day, churned in outcomes:
        renewals[account_id].append(day)
        if churned and (account_id not in first_churn or day < first_churn[account_id]):
            first_churn[account_id] = day
    accounts = session.execute(select(a.account_id, a.renewal_date, a.contract_start)).all()
    for account_id, renewal, _ in accounts:
        if renewal is not None:
            renewals[account_id].append(renewal)
    for dates in renewals.values():
        dates.sort()
    known = [day for day in (*activity, *(d for _, d, _ in outcomes), *churned_at.values()) if day]
    return _Book(
        first_data_day=activity[0],
        last_known_day=max(known, default=None),
        outcomes=outcomes,
        first_churn=first_churn,
        renewals=dict(renewals),
        contract_start={account_id: start for account_id, _, start in accounts},
    )


def _activity_range(session: Session) -> tuple[date | None, date | None]:
    """The first and last day of usage, feature use, tickets, billing and engagement."""
    u, f, t, b, e = (
        models.UsageDaily,
        models.FeatureUsage,
        models.Ticket,
        models.BillingEvent,
        models.EngagementEvent,
    )
    ranges: list[tuple[date | None, date | None]] = [
        session.execute(select(func.min(u.day), func.max(u.day))).one(),
        session.execute(select(func.min(f.day), func.max(f.day))).one(),
        session.execute(select(func.min(b.day), func.max(b.day))).one(),
    ]
    for first_at, last_at in (
        session.execute(
            select(func.min(t.opened_at), func.max(func.coalesce(t.closed_at, t.opened_at)))
        ).one(),
        session.execute(select(func.min(e.at), func.max(e.at))).one(),
    ):
        ranges.append((first_at.date() if first_at else None, last_at.date() if last_at else None))
    firsts = [first for first, _ in ranges if first is not None]
    lasts = [last for _, last in ranges if last is not None]
    return min(firsts, default=None), max(lasts, default=None)
