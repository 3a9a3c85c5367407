"""Loading what a batch of cards renders from in a few queries instead of a few per card.

A card's rendering asks its session for the card, its signal, account, draft, day's snapshot,
owner and owner's manager one `session.get` at a time; loaded here first, those come from the session's
identity map, so posting thousands of cards costs seven IN queries per batch, not seven per card.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Account, Draft, EscalationCard, HealthSnapshot, Signal, User


@dataclass(frozen=True)
class LoadedCards:
    """What was loaded: hold on to it while rendering (a session keeps only weak references)."""

    rows: list[object]
    routes: dict[int, str]  # card id → the route of its signal (an audit card has none)


# Where a batch's answers to the per-card queries wait in `session.info` while it renders
# (`day_signals`, `score_histories`); a session that did not load a batch asks the database.
PREFETCH_KEY = "tandem.card_render_prefetch"


@dataclass
class RenderPrefetch:
    """The answers to a card view's own queries, for every card of a batch at once."""

    # (account, day) → that day's signals as (id, trigger), in the order they were recorded
    day_signals: dict[tuple[str, date], list[tuple[int, str]]] = field(default_factory=dict)
    history_since: date | None = None  # the score histories below start on this day
    score_histories: dict[str, list[tuple[date, int]]] = field(default_factory=dict)
    extra: dict[str, object] = field(default_factory=dict)  # e.g. the active attention settings


def prefetched(session: Session) -> RenderPrefetch | None:
    found = session.info.get(PREFETCH_KEY)
    return found if isinstance(found, RenderPrefetch) else None


def prefetch_card_queries(
    session: Session, *, days: set[tuple[str, date]], history_days: int
) -> RenderPrefetch:
    """Each (account, day)'s signals and each account's recent scores, in two queries, kept in
    `session.info` for the card views rendered in this session."""
    prefetch = RenderPrefetch()
    accounts = {account_id for account_id, _ in days}
    for day, ids in _accounts_by_day(days):
        query = select(Signal.id, Signal.account_id, Signal.as_of, Signal.trigger).where(
            Signal.as_of == day, Signal.account_id.in_(ids)
        )
        for signal_id, account_id, as_of, trigger in session.execute(query.order_by(Signal.id)):
            prefetch.day_signals.setdefault((account_id, as_of), []).append((signal_id, trigger))
    for account_day in days:
        prefetch.day_signals.setdefault(account_day, [])
    if days:
        since = min(as_of for _, as_of in days) - timedelta(days=history_days)
        prefetch.history_since = since
        ordered = sorted(accounts)
        for start in range(0, len(ordered), IN_CHUNK):
            ids = ordered[start : start + IN_CHUNK]
            history = (
                select(HealthSnapshot.account_id, HealthSnapshot.as_of, HealthSnapshot.score)
                .where(HealthSnapshot.account_id.in_(ids), HealthSnapshot.as_of >= since)
                .order_by(HealthSnapshot.account_id, HealthSnapshot.as_of)
            )
            for account_id, as_of, score in session.execute(history):
                prefetch.score_histories.setdefault(account_id, []).append((as_of, score))
        for account_id in accounts:
            prefetch.score_histories.setdefault(account_id, [])
    session.info[PREFETCH_KEY] = prefetch
    return prefetch


IN_CHUNK = 900  # SQLite's bound parameters stay well under its limit


def _accounts_by_day(days: set[tuple[str, date]]) -> Iterator[tuple[date, list[str]]]:
    """(day, accounts) in chunks, for `as_of = day AND account_id IN (…)`: a search of the
    (account, day) key. A row-value `(account_id, as_of) IN (…)` is not one: SQLite scans the
    whole table for it (0.06 s a batch of cards at 100,000 accounts, 7.5 s a cycle)."""
    by_day: dict[date, list[str]] = {}
    for account_id, day in sorted(days):
        by_day.setdefault(day, []).append(account_id)
    for day, ids in by_day.items():
        for start in range(0, len(ids), IN_CHUNK):
            yield day, ids[start : start + IN_CHUNK]


def load_cards_for_rendering(
    session: Session, *, card_ids: Sequence[int], history_days: int = 120
) -> LoadedCards:
    """Load the cards and what they render from into `session` (and, in `session.info`, the
    answers to each card view's own queries: its day's other signals, its score trend)."""
    if not card_ids:
        return LoadedCards([], {})
    found = list(session.scalars(select(EscalationCard).where(EscalationCard.id.in_(card_ids))))
    signal_ids = {card.signal_id for card in found if card.signal_id is not None}
    signals = {
        signal.id: signal for signal in session.scalars(select(Signal).where(Signal.id.in_(signal_ids)))
    }
    rows: list[object] = [*found, *signals.values()]
    rows += session.scalars(
        select(Account).where(Account.account_id.in_({card.account_id for card in found}))
    )
    draft_ids = {card.draft_id for card in found if card.draft_id}
    if draft_ids:
        rows += session.scalars(select(Draft).where(Draft.id.in_(draft_ids)))
    days = {(signal.account_id, signal.as_of) for signal in signals.values()}
    for day, ids in _accounts_by_day(days):
        rows += session.scalars(
            select(HealthSnapshot).where(HealthSnapshot.as_of == day, HealthSnapshot.account_id.in_(ids))
        )
    # The owners and their managers (a card says where it climbs next)
    owners = list(
        session.scalars(select(User).where(User.slack_id.in_({c.recipient_slack_id for c in found})))
    )
    managers = {owner.manager_slack_id for owner in owners if owner.manager_slack_id}
    rows += owners
    if managers:
        rows += session.scalars(select(User).where(User.slack_id.in_(managers)))
    prefetch_card_queries(session, days=days, history_days=history_days)
    routes = {
        card.id: signals[card.signal_id].route
        for card in found
        if card.signal_id is not None and card.signal_id in signals
    }
    return LoadedCards(rows, routes)
