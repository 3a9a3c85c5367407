"""The whole book's FeatureTable straight from the database: GROUP BY queries, no per-account loop.

The database does the counting (one aggregate query per fact table, each a single scan of
the window), so 100,000 accounts with 12 million usage rows arrive as 100,000 rows of sums.
Every window and filter mirrors `scoring.features.account_features` on the facts that
`storage.repositories.facts` loads; a test holds the two equal on a seeded book.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.expression import case

from scoring.config import TriggerConfig
from scoring.context import events_in_view, latest
from scoring.conversation_facts import ConversationFacts
from scoring.conversation_signals import CONVERSATION_COLUMNS, conversation_row
from scoring.features import (
    BILLING_COLUMNS,
    FeatureTable,
    OverdueStep,
    Windows,
)
from scoring.health import score_table
from scoring.trends import TOLERANCE_DAYS, TREND_WINDOWS
from scoring.types import DATA_QUALITY_CONTEXT, ContextEvent, ContextKind, EngagementKind, HealthResult
from storage import models
from storage.repositories.conversation_facts import load_conversation_facts

Heard = Mapping[str, ConversationFacts]  # account_id -> its linked channels' facts


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _sum_if(condition: ColumnElement[bool], column: Any) -> Any:
    return func.coalesce(func.sum(case((condition, column), else_=0)), 0)


def load_feature_table(
    session: Session, *, as_of: date, config: TriggerConfig, heard: Heard | None = None
) -> FeatureTable:
    """Every account's figures, read on one session (one consistent snapshot of the data).
    `heard`: the linked channels' facts when the caller read them already (the cycle)."""
    w = Windows.for_day(as_of, config)
    table, index = _accounts(session, as_of)
    _fill(table, index, _usage_rows(session, w), USAGE_FILLED)
    _read_the_rest(session, table, index, w, config, heard)
    return table


def load_feature_table_concurrently(
    session_factory: sessionmaker[Session], *, as_of: date, config: TriggerConfig, heard: Heard | None = None
) -> FeatureTable:
    """As `load_feature_table`, with the daily-usage aggregate (the biggest scan by far) running
    on a second connection while the first reads everything else: on two cores the read takes
    about as long as the usage scan alone. The drivers release the GIL while the database works.
    Rows of an account created between the two reads are skipped until the next pass."""
    w = Windows.for_day(as_of, config)
    with ThreadPoolExecutor(max_workers=1) as pool, session_factory() as session:
        usage = pool.submit(_usage_rows_on_own_session, session_factory, w)
        table, index = _accounts(session, as_of)
        _read_the_rest(session, table, index, w, config, heard)
        _fill(table, index, usage.result(), USAGE_FILLED)
    return table


def _usage_rows_on_own_session(session_factory: sessionmaker[Session], w: Windows) -> list[Any]:
    with session_factory() as session:
        return _usage_rows(session, w)


def _accounts(session: Session, as_of: date) -> tuple[FeatureTable, dict[str, int]]:
    a = models.Account
    accounts = sorted(session.execute(select(a.account_id, a.segment, a.arr, a.renewal_date)).all())
    ids = [row[0] for row in accounts]
    table = FeatureTable.empty(as_of, ids, [row[1] for row in accounts])
    table.columns["arr"][:] = [float(row[2]) for row in accounts]
    table.columns["renewal_days"][:] = [
        np.nan if row[3] is None else (row[3] - as_of).days for row in accounts
    ]
    return table, {account_id: i for i, account_id in enumerate(ids)}


def _read_the_rest(
    session: Session,
    table: FeatureTable,
    index: dict[str, int],
    w: Windows,
    config: TriggerConfig,
    heard: Heard | None = None,
) -> None:
    _features(session, table, index, w)
    _tickets(session, table, index, w)
    _billing(session, table, index, w)
    _engagement(session, table, index, w)
    _milestones(session, table, index, w.as_of)
    _data_quality(session, table, index, w, config.confidence.data_quality_lookback_days)
    _conversations(session, table, index, w, config, heard)


def _conversations(
    session: Session,
    table: FeatureTable,
    index: dict[str, int],
    w: Windows,
    config: TriggerConfig,
    heard: Heard | None = None,
) -> None:
    """The linked channels' columns (scoring.conversation_signals), for the accounts that have
    one: read here unless the caller read them already, written one array op per column."""
    if heard is None:
        heard = load_conversation_facts(session, as_of=w.as_of, rules=config.conversations)
    rows = [
        (i, conversation_row(facts, w.as_of, config.conversations))
        for account_id, facts in heard.items()
        if (i := index.get(account_id)) is not None  # None: an account created since the accounts were read
    ]
    if not rows:
        return
    positions = np.array([i for i, _ in rows])
    for name in CONVERSATION_COLUMNS:
        table.columns[name][positions] = np.array([row[name] for _, row in rows], dtype=float)


def _fill(table: FeatureTable, index: dict[str, int], rows: Sequence[Any], names: Sequence[str]) -> None:
    """Write query rows (account_id, *values) into the named columns, one array op per column."""
    rows = [row for row in rows if row[0] in index]  # an account created since the accounts were read
    if not rows:
        return
    columns = list(zip(*rows, strict=True))
    positions = np.array([index[account_id] for account_id in columns[0]])
    for name, values in zip(names, columns[1:], strict=True):
        table.columns[name][positions] = np.array(values, dtype=float)


USAGE_FILLED = (
    "u_days", "u_active", "u_seats", "u_trend_days", "u_trend_active", "u_trend_seats",
    "u_base_days", "u_base_active", "u_trend_peak", "u_last_gap",
)  # fmt: skip


def _usage_rows(session: Session, w: Windows) -> list[Any]:
    """(account_id, *USAGE_FILLED) for every account with usage rows in [base_start, as_of]."""
    if session.connection().dialect.name == "sqlite":
        return _usage_rows_by_window(session, w)
    u = models.UsageDaily
    # The WHERE bounds every row to [base_start, as_of], so each window needs one comparison
    # (trend_start is inside the utilisation window): ~30% faster than full range tests.
    window = u.day >= w.usage_start
    trend = u.day >= w.trend_start
    base = u.day < w.usage_start
    query = (
        select(
            u.account_id,
            _count_if(window),
            _sum_if(window, u.active_users),
            _sum_if(window, u.licensed_seats),
            _count_if(trend),
            _sum_if(trend, u.active_users),
            _sum_if(trend, u.licensed_seats),
            _count_if(base),
            _sum_if(base, u.active_users),
            func.max(case((trend, u.active_users))),
            func.max(case((trend, u.licensed_seats))),
            func.max(u.day),
        )
        .where(u.day >= w.base_start, u.day <= w.as_of)
        .group_by(u.account_id)
    )
    return [(*row[:9], _peak(row[9], row[10]), (w.as_of - row[-1]).days) for row in session.execute(query)]


def _usage_rows_by_window(session: Session, w: Windows) -> list[Any]:
    """As `_usage_rows`, from one plain aggregate per window (baseline, utilisation window,
    trend days), each a range of the covering index with no CASE per row: SQLite evaluates
    expressions row by row, so the one query with eleven conditional aggregates cost about
    2.8 times a plain scan of the same rows, and these three about 1.05 times. (PostgreSQL
    runs the one query in parallel workers at about 1.7 times; three scans would cost more.)"""
    u = models.UsageDaily

    def per_account(start: date, end: date, *columns: Any) -> dict[str, Any]:
        query = (
            select(u.account_id, func.count(), *columns)
            .where(u.day >= start, u.day <= end)
            .group_by(u.account_id)
        )
        return {row[0]: row[1:] for row in session.execute(query)}

    before_window = w.usage_start - timedelta(days=1)
    base = per_account(w.base_start, before_window, func.sum(u.active_users), func.max(u.day))
    window = per_account(
        w.usage_start, w.as_of, func.sum(u.active_users), func.sum(u.licensed_seats), func.max(u.day)
    )
    trend = per_account(
        max(w.trend_start, w.base_start),  # as the one query's WHERE bounds it
        w.as_of,
        func.sum(u.active_users),
        func.sum(u.licensed_seats),
        func.max(u.active_users),
        func.max(u.licensed_seats),
    )
    rows = []
    for account_id in base.keys() | window.keys():
        base_days, base_active, base_last = base.get(account_id, (0, 0, None))
        days, active, seats, last = window.get(account_id, (0, 0, 0, None))
        trend_days, trend_active, trend_seats, most_active, most_seats = trend.get(
            account_id, (0, 0, 0, None, None)
        )
        newest = last if last is not None else base_last
        rows.append(
            (
                account_id,
                days,
                active,
                seats,
                trend_days,
                trend_active,
                trend_seats,
                base_days,
                base_active,
                _peak(most_active, most_seats),
                (w.as_of - newest).days,
            )
        )
    return rows


def _peak(most_active: int | None, most_seats: int | None) -> float:
    """The busiest trend day's users against the licence (0 without trend days or seats)."""
    return most_active / most_seats if most_active is not None and most_seats else 0.0


def _features(session: Session, table: FeatureTable, index: dict[str, int], w: Windows) -> None:
    """Feature rows on record, distinct features used in the window and the per-feature uses
    (window and baseline), from one scan grouped by account and feature (not two scans, the
    second sorted again), folded into per-account columns by numpy."""
    f = models.FeatureUsage
    recent = f.day >= w.base_start
    window = f.day >= w.usage_start
    query = (
        select(
            f.account_id,
            f.feature,
            func.count(),
            _count_if(recent),
            _sum_if(window, f.count),
            _sum_if(recent & (f.day < w.usage_start), f.count),
            func.max(case((window & (f.count > 0), 1), else_=0)),
        )
        .where(f.day >= w.history_start, f.day <= w.as_of)
        .group_by(f.account_id, f.feature)
    )
    rows = [row for row in session.execute(query) if row[0] in index]
    if not rows:
        return
    accounts, features, on_record, in_recent, in_window, in_base, used = zip(*rows, strict=True)
    positions = np.array([index[account_id] for account_id in accounts])
    n = len(table)
    table.columns["f_any"][:] = np.bincount(positions, weights=np.array(on_record, dtype=float), minlength=n)
    table.columns["f_breadth"][:] = np.bincount(positions, weights=np.array(used, dtype=float), minlength=n)
    # The per-feature matrices hold the features with rows since the baseline began.
    kept = np.array(in_recent) > 0
    table.set_feature_columns(
        positions[kept],
        [feature for feature, keep in zip(features, kept.tolist(), strict=True) if keep],
        np.array(in_window, dtype=float)[kept],
        np.array(in_base, dtype=float)[kept],
    )


def _tickets(session: Session, table: FeatureTable, index: dict[str, int], w: Windows) -> None:
    t = models.Ticket
    end_at = _midnight(w.as_of + timedelta(days=1))
    window = t.opened_at >= _midnight(w.support_start)
    previous = (t.opened_at >= _midnight(w.support_prev_start)) & ~window
    is_open = t.closed_at.is_(None) | (t.closed_at >= end_at)
    toned = t.sentiment.is_not(None)
    query = (
        select(
            t.account_id,
            func.count(),
            _count_if(window),
            *(_count_if(window & (t.severity == name)) for name in ("low", "normal", "high", "urgent")),
            _count_if(t.is_escalation_request.is_(True) & (window | is_open)),
            _count_if(is_open),
            _sum_if(window & toned, t.sentiment),
            _count_if(window & toned),
            _count_if(previous),
            _sum_if(previous & toned, t.sentiment),
            _count_if(previous & toned),
        )
        .where(t.opened_at < end_at, (t.opened_at >= _midnight(w.history_start)) | t.closed_at.is_(None))
        .group_by(t.account_id)
    )
    names = ("s_on_record", "s_recent", "s_low", "s_normal", "s_high", "s_urgent", "s_escalations", "s_open")
    tone = ("s_tone_sum", "s_tone_n", "s_prev_recent", "s_prev_tone_sum", "s_prev_tone_n")
    _fill(table, index, session.execute(query).all(), (*names, *tone))


def _billing(session: Session, table: FeatureTable, index: dict[str, int], w: Windows) -> None:
    b = models.BillingEvent
    query = (
        select(
            b.account_id,
            func.count(),
            *(_count_if(b.kind == kind) for kind in ("invoice_overdue", "payment_failed", "downgrade")),
        )
        .where(b.day >= w.billing_start, b.day <= w.as_of)
        .group_by(b.account_id)
    )
    _fill(table, index, session.execute(query).all(), BILLING_COLUMNS)


def _engagement(session: Session, table: FeatureTable, index: dict[str, int], w: Windows) -> None:
    e = models.EngagementEvent
    in_window = (e.at >= _midnight(w.engagement_start), e.at < _midnight(w.as_of + timedelta(days=1)))
    kinds = (EngagementKind.OUTREACH_SENT, EngagementKind.OUTREACH_REPLIED, EngagementKind.MEETING)
    window = and_(*in_window)
    # The window is counted, not filtered: filtered, SQLite reads the rows through the `at` index
    # and sorts them by account (5 s at 100,000 accounts); counted, it streams the unique
    # (account_id, at, kind) index in account order. The groups' last row stays before the day's end.
    query = select(
        e.account_id,
        _count_if(window),
        *(_count_if(window & (e.kind == kind.value)) for kind in (*kinds, EngagementKind.PUBLIC_COMPLAINT)),
    ).group_by(e.account_id)
    names = ("e_events", "e_sent", "e_replied", "e_meetings", "e_complaints")
    _fill(table, index, session.execute(query).all(), names)
    # The latest NPS and survey: few rows, picked in order (the first of equal times wins).
    scored = (EngagementKind.NPS.value, EngagementKind.SURVEY.value)
    query_scores = (
        select(e.account_id, e.kind, e.at, e.value)
        .where(*in_window, e.kind.in_(scored), e.value.is_not(None))
        .order_by(e.account_id, e.at, e.id)
    )
    latest_at: dict[tuple[str, str], datetime] = {}
    for account_id, kind, at, value in session.execute(query_scores):
        key = (account_id, kind)
        if key not in latest_at or at > latest_at[key]:
            latest_at[key] = at
            table.columns["e_nps" if kind == EngagementKind.NPS.value else "e_survey"][index[account_id]] = (
                value
            )


def _milestones(session: Session, table: FeatureTable, index: dict[str, int], as_of: date) -> None:
    m = models.Milestone
    query = select(m.account_id, m.step, m.due_date, m.completed_at).order_by(
        m.account_id, m.due_date, m.step
    )
    c = table.columns
    for account_id, step, due, completed in session.execute(query):
        i = index[account_id]
        c["o_total"][i] += 1
        finished = completed.date() if completed is not None else None
        if finished is not None and finished <= as_of:
            c["o_done"][i] += 1
            c["o_late"][i] += finished > due
            age = (as_of - finished).days
            c["o_last_done_age"][i] = (
                age if np.isnan(c["o_last_done_age"][i]) else min(c["o_last_done_age"][i], age)
            )
        elif due < as_of:
            c["o_overdue"][i] += 1
            oldest = table.oldest_overdue[i]
            if oldest is None or due < oldest.due_date:
                table.oldest_overdue[i] = OverdueStep(step, due)


def _data_quality(
    session: Session, table: FeatureTable, index: dict[str, int], w: Windows, lookback_days: int
) -> None:
    c = models.ContextEvent
    query = (
        select(c.account_id, c.kind, c.starts_at, c.ends_at, c.note)
        .where(c.kind.in_([kind.value for kind in DATA_QUALITY_CONTEXT]))
        .where(c.starts_at < _midnight(w.as_of + timedelta(days=1)))
        .where(c.ends_at.is_(None) | (c.ends_at >= _midnight(w.history_start)))
        .order_by(c.account_id, c.starts_at, c.id)
    )
    events: dict[str, list[ContextEvent]] = defaultdict(list)
    for account_id, kind, starts, ends, note in session.execute(query):
        events[account_id].append(ContextEvent(ContextKind(kind), starts, ends, note or ""))
    for account_id, account_events in events.items():
        in_view = events_in_view(account_events, w.as_of, DATA_QUALITY_CONTEXT, lookback_days)
        table.data_quality[index[account_id]] = latest(in_view)


def score_whole_book(
    session_factory: sessionmaker[Session], *, as_of: date, config: TriggerConfig, heard: Heard | None = None
) -> list[HealthResult]:
    """The bulk scoring pass: the feature table and earlier scores, read in bulk, scored at once.
    `heard`: the linked channels' facts, when the caller read them already (the cycle)."""
    table = load_feature_table_concurrently(session_factory, as_of=as_of, config=config, heard=heard)
    with session_factory() as session:
        prior = load_prior_scores(session, account_ids=table.account_ids, as_of=as_of)
    return score_table(table, config, prior_scores=prior)


def load_prior_scores(session: Session, *, account_ids: Sequence[str], as_of: date) -> dict[int, np.ndarray]:
    """Each account's score 7, 30 and 90 days back (the latest within TOLERANCE_DAYS before
    that day), NaN where there is none: only the snapshots near those days are read."""
    h = models.HealthSnapshot
    index = {account_id: i for i, account_id in enumerate(account_ids)}
    prior = {days: np.full(len(account_ids), np.nan) for days in TREND_WINDOWS}
    for days in TREND_WINDOWS:
        day = as_of - timedelta(days=days)
        query = (
            select(h.account_id, h.as_of, h.score)
            .where(h.as_of <= day, h.as_of >= day - timedelta(days=TOLERANCE_DAYS))
            .order_by(h.as_of)
        )
        for account_id, _, score in session.execute(query):  # later days overwrite earlier ones
            if account_id in index:
                prior[days][index[account_id]] = score
    return prior
