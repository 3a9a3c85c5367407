"""Fixtures shared by the integration tests."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import app
from bot.outreach import SmtpSender
from bot.settings import get_settings
from tests.conftest import Database
from tests.integration.seeded_env import Inbox, Story, local_smtp, seeded_story

Run = Callable[..., tuple[int, str]]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    for name in ("SLACK_BOT_TOKEN", "OPENAI_API_KEY", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout
    get_settings.cache_clear()

    def run(*argv: str) -> tuple[int, str]:
        out = io.StringIO()
        code = app.main(list(argv), out=out)
        return code, out.getvalue()

    yield run
    get_settings.cache_clear()


@pytest.fixture
def story(db: Database) -> Iterator[Story]:
    """A seeded book behind the real Slack edge (see seeded_env), on each backend."""
    with seeded_story(db) as env:
        yield env


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, SmtpSender]]:
    with local_smtp() as server:
        yield server
