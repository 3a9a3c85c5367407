"""Versioned trigger configurations on both backends: seeding version 1, new inactive
versions, and activation that leaves exactly one version active."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from storage.models import TriggerConfig
from storage.repositories.configs import activate, active_config, create_config_version, ensure_active_config
from tests.conftest import Database

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DEFAULT = {"bands": {"green": 75, "yellow": 60}, "triggers": {"health_low": {"below": 60}}}


def versions(db: Database) -> dict[int, bool]:
    with db.session_factory() as session:
        return {row.version: row.active for row in session.scalars(select(TriggerConfig))}


def test_ensure_active_config_seeds_version_one_once(db: Database) -> None:
    with db.session_factory() as session, session.begin():
        first = ensure_active_config(session, default_body=DEFAULT, author="tandem", now=NOW)
        assert (first.version, first.active) == (1, True)
    with db.session_factory() as session, session.begin():
        again = ensure_active_config(
            session, default_body={"other": True}, author="someone", now=NOW + timedelta(days=1)
        )
        assert (again.version, again.body, again.author) == (1, DEFAULT, "tandem")
        assert again.created_at == NOW and again.created_at.utcoffset() == timedelta(0)

    assert versions(db) == {1: True}


def test_new_versions_are_inactive_until_activated(db: Database) -> None:
    changed = {**DEFAULT, "triggers": {"health_low": {"below": 55}}}
    with db.session_factory() as session, session.begin():
        ensure_active_config(session, default_body=DEFAULT, author="tandem", now=NOW)
        second = create_config_version(session, body=changed, author="UOPS1", now=NOW, note="fewer alerts")
        assert (second.version, second.active, second.note) == (2, False, "fewer alerts")
        third = create_config_version(session, body=DEFAULT, author="UOPS1", now=NOW)
        assert third.version == 3
    assert versions(db) == {1: True, 2: False, 3: False}

    with db.session_factory() as session, session.begin():
        activate(session, version=2)
        current = active_config(session)
        assert current is not None and current.version == 2 and current.body == changed
    assert versions(db) == {1: False, 2: True, 3: False}

    with db.session_factory() as session, session.begin():
        activate(session, version=1)
        activate(session, version=1)  # again: still exactly one
    assert versions(db) == {1: True, 2: False, 3: False}


def test_activating_an_unknown_version_names_the_known_ones(db: Database) -> None:
    with db.session_factory() as session, session.begin():
        ensure_active_config(session, default_body=DEFAULT, author="tandem", now=NOW)
        create_config_version(session, body=DEFAULT, author="UOPS1", now=NOW)

    with db.session_factory() as session, pytest.raises(LookupError, match=r"version 9 \(known: 1, 2\)"):
        activate(session, version=9)
    assert versions(db) == {1: True, 2: False}


def test_activate_on_an_empty_table_raises(db: Database) -> None:
    with db.session_factory() as session, pytest.raises(LookupError, match="known: none"):
        activate(session, version=1)


def test_no_active_config_until_seeded_then_newest_is_activated(db: Database) -> None:
    with db.session_factory() as session, session.begin():
        assert active_config(session) is None
        session.add_all(
            [
                TriggerConfig(version=1, body=DEFAULT, author="a", created_at=NOW, active=False),
                TriggerConfig(version=2, body={"v": 2}, author="a", created_at=NOW, active=False),
            ]
        )
    with db.session_factory() as session, session.begin():
        row = ensure_active_config(session, default_body=DEFAULT, author="tandem", now=NOW)
        assert (row.version, row.active) == (2, True)
    assert versions(db) == {1: False, 2: True}
