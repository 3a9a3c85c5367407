"""SQLite under concurrent writers: units of work wait their turn instead of failing."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from storage.db import transaction
from storage.models import User
from tests.conftest import Database


def test_racing_read_then_write_units_all_succeed(sqlite_db: Database) -> None:
    errors: list[BaseException] = []

    def read_then_write(n: int) -> None:
        try:
            with transaction(sqlite_db.session_factory) as session:
                session.scalar(select(func.count()).select_from(User))  # read first ...
                time.sleep(0.05)  # ... let the others read too ...
                session.add(
                    User(slack_id=f"U{n}", name=f"User {n}", role="csm", timezone="UTC", digest_time="08:30")
                )
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=read_then_write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    with sqlite_db.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 6


def test_an_open_read_session_does_not_block_a_writer(sqlite_db: Database) -> None:
    with sqlite_db.session_factory() as reader:
        reader.scalar(select(func.count()).select_from(User))  # a read transaction stays open
        started = time.monotonic()
        with transaction(sqlite_db.session_factory) as session:
            session.add(User(slack_id="U1", name="Ana", role="csm", timezone="UTC", digest_time="08:30"))
        assert time.monotonic() - started < 1.0
