"""Identical copies of one seeded book, on SQLite (file copies) or PostgreSQL (databases made
from a template database), for tests that run the same day on several copies and compare them.

PostgreSQL copies are whole databases named `tandem_crash_<hex>` beside the test database
(`CREATE DATABASE … TEMPLATE`), dropped when the copies are closed.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from storage.db import make_engine, make_session_factory, upgrade

Seeder = Callable[[sessionmaker[Session]], None]


class BookCopies:
    """`copy()` hands out the URL of a fresh copy of the book `seed` wrote once."""

    def __init__(self, *, backend: str, workdir: Path, pg_url: str | None = None) -> None:
        self.backend = backend
        self.workdir = workdir
        self._pg_url = pg_url
        self._prefix = f"tandem_crash_{uuid.uuid4().hex[:8]}"
        self._made: list[str] = []  # PostgreSQL databases to drop
        self._count = 0

    def seed(self, seeder: Seeder) -> None:
        if self.backend == "postgres":
            self._create_database(self._template_name())
        engine = make_engine(self._url_of(self._template_name()))
        try:
            upgrade(engine)
            seeder(make_session_factory(engine))
        finally:
            engine.dispose()  # a template database must have no one connected while it is copied

    def copy(self) -> str:
        self._count += 1
        name = f"{self._prefix}_{self._count}"
        if self.backend == "sqlite":
            shutil.copyfile(self.workdir / f"{self._template_name()}.db", self.workdir / f"{name}.db")
        else:
            self._create_database(name, template=self._template_name())
        return self._url_of(name)

    def close(self) -> None:
        if self.backend != "postgres":
            return
        with self._admin() as admin:
            for name in reversed(self._made):
                admin.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def _template_name(self) -> str:
        return f"{self._prefix}_book"

    def _url_of(self, name: str) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.workdir / f'{name}.db'}"
        assert self._pg_url is not None
        return make_url(self._pg_url).set(database=name).render_as_string(hide_password=False)

    def _create_database(self, name: str, *, template: str | None = None) -> None:
        clause = f' TEMPLATE "{template}"' if template else ""
        with self._admin() as admin:
            admin.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        self._made.append(name)

    @contextmanager
    def _admin(self) -> Iterator[Connection]:
        engine = make_engine(self._url_of("postgres"), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                yield connection
        finally:
            engine.dispose()


@contextmanager
def book_copies(
    backend: str, workdir: Path, seeder: Seeder, *, pg_url: str | None = None
) -> Iterator[BookCopies]:
    copies = BookCopies(backend=backend, workdir=workdir, pg_url=pg_url)
    try:
        copies.seed(seeder)
        yield copies
    finally:
        copies.close()
