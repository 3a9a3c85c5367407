"""Shared fixtures: a migrated database per test, on SQLite and (when configured) PostgreSQL.

`db` is parametrized over both backends; the PostgreSQL case is skipped with a reason unless
TANDEM_TEST_DATABASE_URL is set. `sqlite_db` is for tests that do not care which backend.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FrozenClock
from storage.db import make_engine, make_session_factory, upgrade
from storage.models import Base
from tests.support.sqlite_template import migrated_sqlite

PG_URL_ENV = "TANDEM_TEST_DATABASE_URL"


@dataclass
class Database:
    backend: str
    url: str
    engine: Engine
    session_factory: sessionmaker[Session]


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; each test gets a copy of the file (fast, and still the real migration)."""
    return migrated_sqlite(tmp_path_factory.mktemp("template") / "template.db")


@pytest.fixture(scope="session")
def _postgres_schema() -> Iterator[str]:
    """A private schema for this test run, migrated once and dropped at the end."""
    base_url = os.environ.get(PG_URL_ENV)
    if not base_url:
        pytest.skip(
            f"PostgreSQL tests need {PG_URL_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        )
    schema = f"tandem_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = _pg_engine(base_url, schema)
    upgrade(engine)
    engine.dispose()
    yield schema
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _pg_engine(base_url: str, schema: str) -> Engine:
    return make_engine(base_url, connect_args={"options": f"-csearch_path={schema}"})


def _sqlite_database(template: Path, tmp_path: Path) -> Database:
    path = tmp_path / "tandem.db"
    shutil.copyfile(template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    return Database("sqlite", url, engine, make_session_factory(engine))


@pytest.fixture
def sqlite_db(_sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    database = _sqlite_database(_sqlite_template, tmp_path)
    yield database
    database.engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database = _sqlite_database(request.getfixturevalue("_sqlite_template"), tmp_path)
        yield database
        database.engine.dispose()
        return
    schema: str = request.getfixturevalue("_postgres_schema")
    base_url = os.environ[PG_URL_ENV]
    engine = _pg_engine(base_url, schema)
    url = engine.url.render_as_string(hide_password=False)
    yield Database("postgres", url, engine, make_session_factory(engine))
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
