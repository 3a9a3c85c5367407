"""A reproducible synthetic book of business, with the seeds' hard cases planted.

Same seed, same book: everything comes from one `random.Random(seed)` and `as_of`, never the
wall clock or global random state. Rows are built in memory, then written with bulk inserts
(COPY on PostgreSQL) in one transaction: 10,000 accounts, 1.8 million rows, take 15–20 s.

A database that already holds accounts is refused unless `replace=True`, which first deletes
every row of the book and what was derived from it (scores, signals, cards, overrides, outbox,
digests); trigger configurations stay.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from storage import models
from storage.db import refresh_planner_statistics, transaction
from storage.synthetic import planted
from storage.synthetic.builder import AccountBuilder
from storage.synthetic.bulk_write import bulk_insert
from storage.synthetic.people import add_people
from storage.synthetic.random_accounts import add_random_account
from storage.synthetic.rows import BookRows

CHUNK_ACCOUNTS = 5_000  # accounts built and written at a time
KEPT_ON_REPLACE = frozenset({models.TriggerConfig.__tablename__})  # configuration, not book data


class BookAlreadySeeded(ValueError):
    """The database already holds accounts, and `replace` was not asked for."""


@dataclass
class BookSummary:
    as_of: date
    seed: int
    accounts: int
    counts: dict[str, int] = field(default_factory=dict)  # rows written per table
    planted: dict[str, str] = field(default_factory=dict)  # case -> account_id
    total_arr: float = 0.0

    def render(self) -> str:
        counts = ", ".join(f"{table} {n:,}" for table, n in self.counts.items())
        cases = "\n".join(f"  {case}: {account_id}" for case, account_id in self.planted.items())
        return (
            f"Book as of {self.as_of.isoformat()} (seed {self.seed}): {self.accounts:,} accounts, "
            f"total ARR ${self.total_arr:,.0f}\n  {counts}\nPlanted hard cases:\n{cases}"
        )


def generate_book(
    session_factory: sessionmaker[Session],
    *,
    accounts: int = 200,
    seed: int = 7,
    as_of: date,
    days: int = 120,
    replace: bool = False,
    progress: Callable[[int], None] | None = None,
) -> BookSummary:
    """Seed `accounts` accounts (the planted cases included) with `days` days of history
    ending at `as_of`. Raises BookAlreadySeeded, or ValueError for impossible sizes.
    `progress` is told how many accounts each written chunk held."""
    if accounts < planted.MIN_ACCOUNTS:
        raise ValueError(f"a book needs at least {planted.MIN_ACCOUNTS} accounts, got {accounts}")
    if days < 30:
        raise ValueError(f"a book needs at least 30 days of history, got {days}")
    with transaction(session_factory) as session:
        existing = session.scalar(select(func.count()).select_from(models.Account)) or 0
        if existing and not replace:
            raise BookAlreadySeeded(
                f"the database already holds {existing:,} accounts; "
                "seed with replace=True (`seed --replace`) to delete them and start over"
            )
        if replace:
            _delete_book(session)
        summary = BookSummary(as_of=as_of, seed=seed, accounts=0)
        counts: Counter[str] = Counter()
        for chunk in iter_book_chunks(accounts=accounts, seed=seed, as_of=as_of, days=days):
            _write(session, chunk.rows)
            counts.update(chunk.rows.counts())
            account_rows = chunk.rows.of(models.Account)
            summary.accounts += len(account_rows)
            summary.total_arr += sum(row["arr"] for row in account_rows)
            summary.planted.update(chunk.planted)
            if progress is not None:
                progress(len(account_rows))
        summary.counts = dict(counts)
        _sync_id_sequences(session)
        refresh_planner_statistics(session)
    return summary


@dataclass
class BuiltBook:
    rows: BookRows
    planted: dict[str, str]


def build_rows(*, accounts: int, seed: int, as_of: date, days: int) -> BuiltBook:
    """Every row of the book, in memory (pure: no database, same arguments, same rows)."""
    rows = BookRows()
    planted_ids: dict[str, str] = {}
    for chunk in iter_book_chunks(accounts=accounts, seed=seed, as_of=as_of, days=days):
        for model, table_rows in chunk.rows.tables.items():
            rows.extend(model, table_rows)
        planted_ids.update(chunk.planted)
    return BuiltBook(rows, planted_ids)


def iter_book_chunks(
    *, accounts: int, seed: int, as_of: date, days: int, chunk_accounts: int = CHUNK_ACCOUNTS
) -> Iterator[BuiltBook]:
    """The book's rows a few thousand accounts at a time (people in the first chunk, the planted
    cases in the last), so a 100,000-account book never sits in memory whole. The chunking does
    not change the book: one random stream runs through every chunk."""
    rng = random.Random(seed)
    rows = BookRows()
    owners = add_people(rng, rows, accounts=accounts)
    builder = AccountBuilder(rng, rows, as_of=as_of, days=days)
    builder.reserve_names(planted.NAMES.values())
    for index in range(accounts - len(planted.CASES)):
        add_random_account(builder, f"ACC-{index + 1:05d}", owners[index % len(owners)])
        if (index + 1) % chunk_accounts == 0:
            yield BuiltBook(rows, {})
            rows = builder.rows = BookRows()
    yield BuiltBook(rows, planted.plant_all(builder, owners))


def _delete_book(session: Session) -> None:
    for table in reversed(models.Base.metadata.sorted_tables):  # children before parents
        if table.name not in KEPT_ON_REPLACE:
            session.execute(delete(table))


def _sync_id_sequences(session: Session) -> None:
    """Planted rows that carry their own ids (an earlier cycle's signal) leave PostgreSQL's
    sequences behind; move each past the largest id so the next insert does not collide."""
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite picks max(rowid) + 1 by itself
    for table in (models.Signal.__tablename__, models.OutboxMessage.__tablename__):
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"GREATEST((SELECT MAX(id) FROM {table}), 1))"
            )
        )


def _write(session: Session, rows: BookRows) -> None:
    by_name = {model.__tablename__: table_rows for model, table_rows in rows.tables.items()}
    for table in models.Base.metadata.sorted_tables:  # parents before children
        table_rows = by_name.get(table.name, [])
        bulk_insert(session, table, table_rows)
