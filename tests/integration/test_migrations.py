"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from scoring.sentiment import ticket_tone
from storage.db import make_engine, upgrade
from storage.models import Base
from tests.conftest import Database


def test_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_every_model_table_exists(db: Database) -> None:
    tables = set(inspect(db.engine).get_table_names())
    assert {table.name for table in Base.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables


def test_upgrading_past_0002_scores_the_tone_of_tickets_already_stored(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0001")
    opened = datetime(2026, 3, 1, 9, tzinfo=UTC).isoformat(sep=" ")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (slack_id, name, role, timezone, digest_time) "
                "VALUES ('U1', 'Ann', 'csm', 'UTC', '08:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO accounts (account_id, name, segment, arr, owner_slack_id, always_human) "
                "VALUES ('A1', 'Acme', 'smb', 1000, 'U1', 0)"
            )
        )
        for ticket_id, subject in (("T1", "Thanks, this is great"), ("T2", "Unacceptable, still broken")):
            connection.execute(
                text(
                    "INSERT INTO tickets (ticket_id, account_id, opened_at, severity, subject, body, "
                    "is_escalation_request) VALUES (:id, 'A1', :opened, 'normal', :subject, '', 0)"
                ),
                {"id": ticket_id, "opened": opened, "subject": subject},
            )
    upgrade(engine)
    with engine.connect() as connection:
        tone = dict(connection.execute(text("SELECT ticket_id, sentiment FROM tickets")).all())
    engine.dispose()
    assert tone["T1"] == ticket_tone("Thanks, this is great", "") and tone["T1"] > 0.5
    assert tone["T2"] == ticket_tone("Unacceptable, still broken", "") and tone["T2"] < -0.3
