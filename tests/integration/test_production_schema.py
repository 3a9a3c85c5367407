"""TANDEM_ENV=production: the schema changes only through `tandem db upgrade`.

Every other command refuses a schema that is not the code's head, naming both revisions and
the command to run, and changes nothing; in development the same commands upgrade it
themselves. On SQLite and on PostgreSQL (a private schema per test)."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

import app
from bot.settings import get_settings
from storage.db import alembic_config, make_engine, upgrade
from storage.schema_state import schema_revisions
from tests.conftest import PG_URL_ENV

# Shaped like Slack's (production refuses placeholders); nothing is sent with them.
BOT = "xoxb-7364019285530-7390418826571-Zq8dK2vN5xR1mT7bW4cY9hLp"
SECRET = "8f3a2c71d09b4e65a1f7c3d28e90b4f6"


def _head_and_previous() -> tuple[str, str]:
    script = ScriptDirectory.from_config(alembic_config(make_engine("sqlite://")))
    head = script.get_revision("head")
    assert head is not None and isinstance(head.down_revision, str)
    return head.revision, head.down_revision


HEAD, PREVIOUS = _head_and_previous()
Run = Callable[..., tuple[int, str, str]]  # (url, environment, *argv) -> (exit code, stdout, stderr)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tandem.db'}"
        return
    base_url = os.environ.get(PG_URL_ENV)
    if not base_url:
        pytest.skip(f"PostgreSQL tests need {PG_URL_ENV}")
    schema = f"deploy_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base_url else "?"
    yield f"{base_url}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Run]:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in ("SLACK_APP_TOKEN", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")  # loopback, should anything post
    monkeypatch.setenv("TANDEM_SCHEDULER", "false")

    def run_command(url: str, environment: str, *argv: str) -> tuple[int, str, str]:
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("TANDEM_ENV", environment)
        get_settings.cache_clear()
        capsys.readouterr()
        out = io.StringIO()
        code = app.main(list(argv), out=out)
        return code, out.getvalue(), capsys.readouterr().err

    yield run_command
    get_settings.cache_clear()


def _revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        return schema_revisions(engine).current
    finally:
        engine.dispose()


def _migrate_to(url: str, revision: str) -> None:
    engine = make_engine(url)
    upgrade(engine, revision)
    engine.dispose()


def test_production_refuses_an_old_schema_and_changes_nothing(empty_url: str, run: Run) -> None:
    _migrate_to(empty_url, PREVIOUS)

    for argv in (("score",), ("cycle",), ("serve",), ("ladder",), ("digest",)):
        code, out, err = run(empty_url, "production", *argv)

        assert code == 2, argv
        assert f"at revision {PREVIOUS}" in err and f"expects {HEAD}" in err, argv
        assert "run `tandem db upgrade` first" in err, argv
        assert out == ""
    assert _revision(empty_url) == PREVIOUS  # refused before touching anything


def test_production_upgrades_only_through_db_upgrade(empty_url: str, run: Run) -> None:
    code, _, err = run(empty_url, "production", "score")
    assert code == 2 and "no Tandem schema yet" in err and f"expected revision {HEAD}" in err
    assert _revision(empty_url) is None

    code, out, _ = run(empty_url, "production", "db", "upgrade")
    assert code == 0 and f"is up to date (revision {HEAD})" in out
    assert _revision(empty_url) == HEAD

    code, out, err = run(empty_url, "production", "score", "--format", "json")
    assert code == 0 and out.strip() == "[]", err  # a current schema: the command runs


def test_development_upgrades_an_old_schema_by_itself(empty_url: str, run: Run) -> None:
    _migrate_to(empty_url, PREVIOUS)

    code, out, err = run(empty_url, "development", "score", "--format", "json")

    assert code == 0 and out.strip() == "[]", err
    assert _revision(empty_url) == HEAD


def test_production_refuses_a_schema_from_a_newer_release(empty_url: str, run: Run) -> None:
    _migrate_to(empty_url, HEAD)
    engine = make_engine(empty_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    engine.dispose()

    code, _, err = run(empty_url, "production", "score")

    assert code == 2
    assert "9999_from_the_future" in err and "does not know" in err and f"expects {HEAD}" in err
