"""The figures each factor needs, one row per account, as columns: the contract between data and math.

Two sources fill a `FeatureTable` with the same numbers:
- `table_from_facts` walks `AccountFacts` (one account in `explain`, hand-built facts in tests);
- `storage.repositories.feature_table` aggregates the database in bulk with GROUP BY queries.
The factor math (`scoring.factors`) then runs once over whole columns with numpy, so 100,000
accounts cost a few array operations per factor, not 100,000 Python calls. A test holds the
two sources equal on a seeded book.

Windows end on `as_of` and include it: a 30-day window is `as_of` and the 29 days before.
A column holds NaN where the account has no such figure (no NPS, no renewal date).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any

import numpy as np

from scoring.config import TriggerConfig
from scoring.context import data_quality_events, latest
from scoring.conversation_signals import CONVERSATION_COLUMNS, conversation_row
from scoring.types import (
    AccountFacts,
    BillingKind,
    ContextEvent,
    EngagementKind,
    Severity,
)

# How far back the facts reach (storage loads this many days before as_of, inclusive).
HISTORY_DAYS = 120

USAGE_COLUMNS = (
    "u_days", "u_active", "u_seats",  # the utilisation window: rows, sums
    "u_trend_days", "u_trend_active", "u_trend_seats",  # the latest trend_days
    "u_base_days", "u_base_active",  # the window before the utilisation window
    "u_trend_peak",  # the most users on a day of the latest trend_days over their most seats (0 without)
    "u_last_gap",  # days since the latest usage row in the window or the baseline (NaN: none)
    "f_any", "f_breadth",  # feature rows on record at all; distinct features used in the window
)  # fmt: skip
SUPPORT_COLUMNS = (
    "s_on_record", "s_recent", "s_low", "s_normal", "s_high", "s_urgent", "s_escalations", "s_open",
    "s_tone_sum", "s_tone_n",  # tone of tickets opened in the window
    "s_prev_recent", "s_prev_tone_sum", "s_prev_tone_n",  # ... and in the window before
)  # fmt: skip
BILLING_COLUMNS = ("b_events", "b_overdue", "b_failed", "b_downgrades")
ENGAGEMENT_COLUMNS = (
    "e_events", "e_sent", "e_replied", "e_meetings", "e_complaints",
    "e_nps", "e_survey",  # the latest NPS (0-10) and survey score in the window, NaN without
)  # fmt: skip
ONBOARDING_COLUMNS = ("o_total", "o_done", "o_overdue", "o_late", "o_last_done_age")
ACCOUNT_COLUMNS = ("arr", "renewal_days")  # renewal_days: days from as_of to renewal (NaN: none)
COLUMNS = (
    *USAGE_COLUMNS,
    *SUPPORT_COLUMNS,
    *BILLING_COLUMNS,
    *ENGAGEMENT_COLUMNS,
    *ONBOARDING_COLUMNS,
    *ACCOUNT_COLUMNS,
    *CONVERSATION_COLUMNS,  # a linked Slack Connect channel's figures (scoring.conversation_signals)
)
NAN = float("nan")


@dataclass(frozen=True, slots=True)
class Windows:
    """Every window's first day for one scoring day and configuration (shared by both sources)."""

    as_of: date
    history_start: date
    usage_start: date
    trend_start: date
    base_start: date
    support_start: date
    support_prev_start: date
    billing_start: date
    engagement_start: date

    @classmethod
    def for_day(cls, as_of: date, config: TriggerConfig) -> Windows:
        def start(days: int) -> date:
            return as_of - timedelta(days=days - 1)

        usage_start = start(config.usage.window_days)
        support_start = start(config.support.window_days)
        return cls(
            as_of=as_of,
            history_start=as_of - timedelta(days=HISTORY_DAYS),
            usage_start=usage_start,
            trend_start=start(config.usage.trend_days),
            base_start=usage_start - timedelta(days=config.usage.window_days),
            support_start=support_start,
            support_prev_start=support_start - timedelta(days=config.support.window_days),
            billing_start=start(config.billing.window_days),
            engagement_start=start(config.engagement.window_days),
        )


@dataclass(frozen=True, slots=True)
class OverdueStep:
    step: str
    due_date: date


# Field metadata of a FeatureTable field that describes the whole table, not one row each
# (labels of a per-feature matrix's columns, say): `take` copies it as it is, even when its
# length happens to equal the number of accounts.
SHARED: dict[str, bool] = {"shared": True}


@dataclass
class FeatureTable:
    """Columns of figures, row i being account_ids[i]; text-like evidence rides alongside.

    Every field is per account (arrays with one row per account, lists with one item per
    account, dicts of those) unless it is a scalar or declared with `metadata=SHARED`."""

    as_of: date
    account_ids: list[str]
    segments: list[str]
    columns: dict[str, np.ndarray]
    data_quality: list[ContextEvent | None] = field(default_factory=list)  # latest DQ event in view
    oldest_overdue: list[OverdueStep | None] = field(default_factory=list)
    # Per product feature (columns in `feature_names` order): uses in the usage window and in
    # the baseline window before it. Feature names are the book's own, so they ride beside
    # the fixed columns rather than among them.
    feature_names: list[str] = field(default_factory=list, metadata=SHARED)
    feature_uses: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    feature_base_uses: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    def __len__(self) -> int:
        return len(self.account_ids)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    @cached_property
    def py(self) -> dict[str, list[float]]:
        """The columns as Python lists: reading one account's figures for its words is ~10x
        faster from lists than from numpy scalars (100,000 accounts, a dozen figures each)."""
        return {name: column.tolist() for name, column in self.columns.items()}

    def take(self, rows: np.ndarray) -> FeatureTable:
        """A new table of the given rows, in that order: `rows` holds positions (repeats
        allowed) or is a boolean mask over the rows. Every dataclass field is carried over, so
        fields added later come along: arrays whose first dimension is the row count and lists
        of that length are indexed (dicts of them value by value), the rest copied as is."""
        n = len(self)
        picked = np.asarray(rows)
        if picked.dtype == bool:
            if picked.shape != (n,):
                raise ValueError(f"a row mask needs {n} entries, got shape {picked.shape}")
            picked = np.flatnonzero(picked)
        elif picked.size and not np.issubdtype(picked.dtype, np.integer):
            raise TypeError(f"rows must be integer positions or a boolean mask, got {picked.dtype}")
        positions = picked.astype(np.intp).reshape(-1)
        if positions.size and (positions.min() < -n or positions.max() >= n):
            raise IndexError(f"row positions must be within 0..{n - 1}")
        init: dict[str, Any] = {}
        later: dict[str, Any] = {}
        for spec in fields(self):
            value = getattr(self, spec.name)
            shared = spec.metadata.get("shared", False)
            value = copy.copy(value) if shared else _rows_of(value, positions, n)
            (init if spec.init else later)[spec.name] = value
        table = type(self)(**init)
        for name, value in later.items():
            setattr(table, name, value)
        return table

    @classmethod
    def empty(cls, as_of: date, account_ids: Sequence[str], segments: Sequence[str]) -> FeatureTable:
        """A table of zeros (NaN for the NaN-able columns), for the bulk loader to fill in."""
        n = len(account_ids)
        columns = {name: np.zeros(n) for name in COLUMNS}
        for name in (
            "u_last_gap",
            "e_nps",
            "e_survey",
            "o_last_done_age",
            "renewal_days",
            "c_champion_silence",
        ):
            columns[name][:] = np.nan
        return cls(
            as_of,
            list(account_ids),
            list(segments),
            columns,
            [None] * n,
            [None] * n,
            feature_uses=np.zeros((n, 0)),
            feature_base_uses=np.zeros((n, 0)),
        )

    def set_feature_uses(self, uses: dict[tuple[int, str], tuple[float, float]]) -> None:
        """Fill the per-feature matrices from {(row, feature): (window uses, baseline uses)}."""
        names = sorted({feature for _, feature in uses})
        column = {name: k for k, name in enumerate(names)}
        window = np.zeros((len(self), len(names)))
        base = np.zeros((len(self), len(names)))
        for (row, feature), (in_window, in_base) in uses.items():
            window[row, column[feature]] = in_window
            base[row, column[feature]] = in_base
        self.feature_names, self.feature_uses, self.feature_base_uses = names, window, base

    def set_feature_columns(
        self, rows: np.ndarray, features: Sequence[str], in_window: np.ndarray, in_base: np.ndarray
    ) -> None:
        """`set_feature_uses` from parallel columns, one entry per (row, feature) pair, so a
        bulk read fills the matrices with two array assignments instead of a loop."""
        names = sorted(set(features))
        column = {name: k for k, name in enumerate(names)}
        codes = np.array([column[feature] for feature in features], dtype=int)
        window = np.zeros((len(self), len(names)))
        base = np.zeros((len(self), len(names)))
        window[rows, codes] = in_window
        base[rows, codes] = in_base
        self.feature_names, self.feature_uses, self.feature_base_uses = names, window, base


def _rows_of(value: object, positions: np.ndarray, n: int) -> object:
    """One field's value for the rows at `positions` (see `FeatureTable.take`)."""
    if isinstance(value, np.ndarray) and value.ndim >= 1 and value.shape[0] == n:
        return value[positions]  # fancy indexing copies
    if isinstance(value, list) and len(value) == n:
        return [value[i] for i in positions.tolist()]
    if isinstance(value, dict):
        return {key: _rows_of(item, positions, n) for key, item in value.items()}
    return copy.copy(value)


def ingestion_gaps(t: FeatureTable, config: TriggerConfig) -> np.ndarray:
    """Accounts whose usage feed stopped: rows on record, but none for ingestion_gap_days."""
    return np.nan_to_num(t["u_last_gap"], nan=-1.0) >= config.confidence.ingestion_gap_days


def data_quality_flags(t: FeatureTable, config: TriggerConfig) -> np.ndarray:
    """Accounts whose usage figures may not reflect the customer: a migration or data gap in
    view, or a stopped usage feed."""
    context = np.array([event is not None for event in t.data_quality], dtype=bool)
    return context | ingestion_gaps(t, config)


def table_from_facts(facts: Iterable[AccountFacts], *, as_of: date, config: TriggerConfig) -> FeatureTable:
    windows = Windows.for_day(as_of, config)
    accounts = list(facts)
    table = FeatureTable.empty(as_of, [a.account_id for a in accounts], [a.segment.value for a in accounts])
    lookback = config.confidence.data_quality_lookback_days
    uses: dict[tuple[int, str], tuple[float, float]] = {}
    for i, account in enumerate(accounts):
        for name, value in account_features(account, windows, config).items():
            table.columns[name][i] = value
        table.data_quality[i] = latest(data_quality_events(account, as_of, lookback))
        table.oldest_overdue[i] = oldest_overdue_step(account, as_of)
        for feature, counts in feature_uses(account, windows).items():
            uses[(i, feature)] = counts
    table.set_feature_uses(uses)
    return table


def feature_uses(facts: AccountFacts, w: Windows) -> dict[str, tuple[float, float]]:
    """Each product feature's uses in the usage window and in the baseline window before it."""
    counts: dict[str, list[float]] = {}
    for use in facts.features:
        if w.base_start <= use.day <= w.as_of:
            pair = counts.setdefault(use.feature, [0.0, 0.0])
            pair[0 if use.day >= w.usage_start else 1] += use.count
    return {feature: (pair[0], pair[1]) for feature, pair in counts.items()}


def account_features(facts: AccountFacts, w: Windows, config: TriggerConfig) -> dict[str, float]:
    """One account's row; each fact list is read once."""
    row: dict[str, float] = {"arr": facts.arr}
    row |= _usage(facts, w)
    row |= _support(facts, w)
    row |= _billing(facts, w)
    row |= _engagement(facts, w)
    row |= _onboarding(facts, w.as_of)
    row |= conversation_row(facts.conversation, w.as_of, config.conversations)
    if facts.renewal_date is not None:
        row["renewal_days"] = (facts.renewal_date - w.as_of).days
    return row


def _usage(facts: AccountFacts, w: Windows) -> dict[str, float]:
    row = dict.fromkeys(USAGE_COLUMNS, 0.0)
    last: date | None = None
    most_active = most_seats = 0
    for usage in facts.usage:
        day = usage.day
        if day > w.as_of or day < w.base_start:
            continue
        last = day if last is None or day > last else last
        if day >= w.usage_start:
            row["u_days"] += 1
            row["u_active"] += usage.active_users
            row["u_seats"] += usage.licensed_seats
            if day >= w.trend_start:
                row["u_trend_days"] += 1
                row["u_trend_active"] += usage.active_users
                row["u_trend_seats"] += usage.licensed_seats
                most_active = max(most_active, usage.active_users)
                most_seats = max(most_seats, usage.licensed_seats)
        else:
            row["u_base_days"] += 1
            row["u_base_active"] += usage.active_users
    row["u_trend_peak"] = most_active / most_seats if most_seats else 0.0
    row["u_last_gap"] = (w.as_of - last).days if last is not None else NAN
    features: set[str] = set()
    for use in facts.features:
        if w.history_start <= use.day <= w.as_of:
            row["f_any"] += 1
            if use.day >= w.usage_start and use.count > 0:
                features.add(use.feature)
    row["f_breadth"] = len(features)
    return row


def _support(facts: AccountFacts, w: Windows) -> dict[str, float]:
    row = dict.fromkeys(SUPPORT_COLUMNS, 0.0)
    for ticket in facts.tickets:
        opened = ticket.opened_at.date()
        if opened > w.as_of:
            continue
        row["s_on_record"] += 1
        is_open = ticket.closed_at is None or ticket.closed_at.date() > w.as_of
        in_window = opened >= w.support_start
        if in_window:
            row["s_recent"] += 1
            row[f"s_{ticket.severity.value}"] += 1
            if ticket.sentiment is not None:
                row["s_tone_sum"] += ticket.sentiment
                row["s_tone_n"] += 1
        elif opened >= w.support_prev_start:
            row["s_prev_recent"] += 1
            if ticket.sentiment is not None:
                row["s_prev_tone_sum"] += ticket.sentiment
                row["s_prev_tone_n"] += 1
        if ticket.is_escalation_request and (in_window or is_open):
            row["s_escalations"] += 1
        row["s_open"] += is_open
    return row


def _billing(facts: AccountFacts, w: Windows) -> dict[str, float]:
    row = dict.fromkeys(BILLING_COLUMNS, 0.0)
    for event in facts.billing:
        if w.billing_start <= event.day <= w.as_of:
            row["b_events"] += 1
            row["b_overdue"] += event.kind is BillingKind.INVOICE_OVERDUE
            row["b_failed"] += event.kind is BillingKind.PAYMENT_FAILED
            row["b_downgrades"] += event.kind is BillingKind.DOWNGRADE
    return row


def _engagement(facts: AccountFacts, w: Windows) -> dict[str, float]:
    row = dict.fromkeys(ENGAGEMENT_COLUMNS, 0.0)
    row["e_nps"] = row["e_survey"] = NAN
    latest_at: dict[EngagementKind, datetime | None] = {EngagementKind.NPS: None, EngagementKind.SURVEY: None}
    for event in facts.engagement:
        if not w.engagement_start <= event.at.date() <= w.as_of:
            continue
        kind = event.kind
        row["e_events"] += 1
        row["e_sent"] += kind is EngagementKind.OUTREACH_SENT
        row["e_replied"] += kind is EngagementKind.OUTREACH_REPLIED
        row["e_meetings"] += kind is EngagementKind.MEETING
        row["e_complaints"] += kind is EngagementKind.PUBLIC_COMPLAINT
        if kind in latest_at and event.value is not None:
            seen = latest_at[kind]
            if seen is None or event.at > seen:  # the first of equal times wins (facts come in order)
                latest_at[kind] = event.at
                row["e_nps" if kind is EngagementKind.NPS else "e_survey"] = event.value
    return row


def _onboarding(facts: AccountFacts, as_of: date) -> dict[str, float]:
    row = dict.fromkeys(ONBOARDING_COLUMNS, 0.0)
    row["o_total"] = len(facts.milestones)
    last_done: date | None = None
    for step in facts.milestones:
        finished = step.completed_at.date() if step.completed_at is not None else None
        if finished is not None and finished <= as_of:
            row["o_done"] += 1
            row["o_late"] += finished > step.due_date
            last_done = finished if last_done is None else max(last_done, finished)
        elif step.due_date < as_of:
            row["o_overdue"] += 1
    row["o_last_done_age"] = (as_of - last_done).days if last_done is not None else NAN
    return row


def oldest_overdue_step(facts: AccountFacts, as_of: date) -> OverdueStep | None:
    """The overdue step due first (the first of equal due dates, in the facts' order)."""
    oldest: OverdueStep | None = None
    for step in facts.milestones:
        done = step.completed_at is not None and step.completed_at.date() <= as_of
        if not done and step.due_date < as_of and (oldest is None or step.due_date < oldest.due_date):
            oldest = OverdueStep(step.step, step.due_date)
    return oldest


SEVERE = frozenset({Severity.HIGH, Severity.URGENT})


def window_start(as_of: date, days: int) -> date:
    return as_of - timedelta(days=days - 1)


def outreach_counts(facts: AccountFacts, as_of: date, days: int) -> tuple[int, int]:
    """(outreach sent, outreach replied) in the last `days` days."""
    since = window_start(as_of, days)
    sent = replied = 0
    for event in facts.engagement:
        if since <= event.at.date() <= as_of:
            sent += event.kind is EngagementKind.OUTREACH_SENT
            replied += event.kind is EngagementKind.OUTREACH_REPLIED
    return sent, replied
