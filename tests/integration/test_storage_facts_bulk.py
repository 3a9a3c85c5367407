"""The facts loader at scale, on both backends: IN-lists chunked for long id lists, key-range
batches, and a query count that stays one per table however large the book grows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import Engine, event, insert
from sqlalchemy.orm import Session

from storage.models import Account, UsageDaily, User
from storage.repositories.facts import iter_account_facts, load_account_facts
from tests.conftest import Database

AS_OF = date(2026, 3, 2)


def add_owner(session: Session) -> None:
    session.add(User(slack_id="U1", name="Ana Lima", role="csm", timezone="UTC", digest_time="08:30"))
    session.flush()


def add_account(session: Session, account_id: str) -> None:
    session.add(Account(account_id=account_id, name=account_id, segment="smb", arr=1.0, owner_slack_id="U1"))
    session.flush()


def test_facts_chunk_long_id_lists_and_iterate_in_batches(db: Database) -> None:
    ids = [f"B{i:05d}" for i in range(1901)]  # more than two IN-chunks of 900
    with db.session_factory() as session, session.begin():
        add_owner(session)
        session.execute(
            insert(Account),
            [{"account_id": i, "name": i, "segment": "smb", "arr": 1.0, "owner_slack_id": "U1"} for i in ids],
        )
        session.execute(
            insert(UsageDaily),
            [
                {"account_id": i, "day": AS_OF, "active_users": n, "licensed_seats": 5000}
                for n, i in enumerate(ids)
            ],
        )

    with db.session_factory() as session:
        facts = load_account_facts(session, as_of=AS_OF, account_ids=list(reversed(ids)))
        batches = list(iter_account_facts(session, as_of=AS_OF, batch_size=700))

    assert [f.account_id for f in facts] == ids
    assert [f.usage[0].active_users for f in facts] == list(range(1901))
    assert [len(b) for b in batches] == [700, 700, 501]
    assert [f for batch in batches for f in batch] == facts


@contextmanager
def selects_run(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):  # not BEGIN and the like
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_facts_query_count_does_not_grow_with_the_book(db: Database) -> None:
    def load_counting() -> tuple[int, int]:
        with selects_run(db.engine) as seen, db.session_factory() as session:
            accounts = len(load_account_facts(session, as_of=AS_OF))
        return accounts, len(seen)

    with db.session_factory() as session, session.begin():
        add_owner(session)
        for n in range(3):
            add_account(session, f"S{n}")
    small = load_counting()
    with db.session_factory() as session, session.begin():
        for n in range(3, 40):
            add_account(session, f"S{n}")
            session.add(UsageDaily(account_id=f"S{n}", day=AS_OF, active_users=1, licensed_seats=2))
    large = load_counting()

    assert small[0] == 3 and large[0] == 40
    assert (
        small[1] == large[1] == 15
    )  # one query per table (5 for automation history, 1 for linked channels: none linked here), whatever the size
