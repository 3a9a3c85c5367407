"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Connection, Engine, MetaData, Table, inspect, select, text, update
from sqlalchemy.orm import Session

from scoring.config import config_to_dict, load_default_config
from scoring.sentiment import ticket_tone
from scoring.types import Decision, Route, TriggerKey
from scoring.types import Signal as Signal_
from storage.db import make_engine, make_session_factory, transaction, upgrade
from storage.models import Base, EscalationCard, OverrideRecord, Ticket
from storage.repositories import configs, signals
from storage.ticket_tone_backfill import rescore_ticket_tone
from tests.conftest import PG_URL_ENV, Database, _pg_engine
from tests.support.factories import AS_OF, NOW, OWNER, add_account, add_people


class _Rows:
    """Collects the rows a factory would add, for a schema older than the models."""

    def __init__(self) -> None:
        self.objects: list[Any] = []

    def add(self, row: Any) -> None:
        self.objects.append(row)

    def add_all(self, rows: list[Any]) -> None:
        self.objects.extend(rows)

    def flush(self) -> None:
        return None


def _insert_into_old_schema(session: Session, *rows: Any) -> list[Any]:
    """Insert model objects into an older schema: only the columns it has (a later migration
    may add columns the models know). Returns each row's primary key."""
    connection = session.connection()
    keys = []
    for row in rows:
        model_table = row.__table__
        existing = {column["name"] for column in inspect(connection).get_columns(model_table.name)}
        columns = [
            Column(c.name, c.type, primary_key=c.primary_key)
            for c in model_table.columns
            if c.name in existing
        ]
        table = Table(model_table.name, MetaData(), *columns)
        values = {c.name: _value_or_default(row, c) for c in model_table.columns if c.name in existing}
        values = {name: value for name, value in values.items() if value is not None}
        keys.append(connection.execute(table.insert().values(**values)).inserted_primary_key[0])
    return keys


def _value_or_default(row: Any, column: Any) -> Any:
    value = getattr(row, column.key)
    if value is None and column.default is not None and column.default.is_scalar:
        return column.default.arg
    return value


def _add_people_and_account(session: Session, account_id: str, **extra: object) -> None:
    rows = _Rows()
    add_people(cast(Session, rows))
    add_account(cast(Session, rows), account_id, **extra)
    _insert_into_old_schema(session, *rows.objects)


BREACH = ("Security incident: rotate all API keys NOW", "Please help us rotate every API key today.")
THANKS = ("Thanks for the quick fix", "The dashboard works great now.")


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


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database with no schema yet, to upgrade step by step (the shared ones are at head)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    base_url = os.environ.get(PG_URL_ENV)
    if not base_url:
        pytest.skip(f"PostgreSQL tests need {PG_URL_ENV}")
    schema = f"tandem_mig_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = _pg_engine(base_url, schema)
    yield engine
    engine.dispose()
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _add_tickets(engine: Engine, tickets: dict[str, tuple[tuple[str, str], float | None]]) -> None:
    opened = datetime(2026, 3, 1, 9, tzinfo=UTC)
    with transaction(make_session_factory(engine)) as session:
        _add_people_and_account(session, "A1")
        for ticket_id, ((subject, body), tone) in tickets.items():
            session.add(Ticket(ticket_id=ticket_id, account_id="A1", opened_at=opened, severity="urgent",
                               subject=subject, body=body, sentiment=tone))  # fmt: skip


def _tones(engine: Engine) -> dict[str, float | None]:
    with engine.connect() as connection:
        return dict(connection.execute(select(Ticket.ticket_id, Ticket.sentiment)).all())


def test_upgrading_past_0007_rescores_tones_stored_with_the_stock_lexicon(empty_engine: Engine) -> None:
    upgrade(empty_engine, "0006")
    # What stock VADER stored for these texts before the support-domain lexicon.
    _add_tickets(empty_engine, {"T1": (BREACH, 0.586), "T2": (THANKS, 0.866), "T3": (THANKS, None)})
    upgrade(empty_engine)
    tone = _tones(empty_engine)
    assert tone["T1"] == ticket_tone(*BREACH) and tone["T1"] < -0.05  # was "positive"
    assert tone["T2"] == tone["T3"] == ticket_tone(*THANKS) > 0.5


def test_the_rescore_pages_through_tickets_and_writes_only_changed_tones(db: Database) -> None:
    texts = (BREACH, THANKS, ("How do I add an admin?", ""), ("Export failing", "Again."), BREACH)
    _add_tickets(db.engine, {f"T{n}": (text_, ticket_tone(*text_)) for n, text_ in enumerate(texts)})
    with db.engine.begin() as connection:
        connection.execute(update(Ticket).where(Ticket.ticket_id.in_(["T0", "T3"])).values(sentiment=0.5))
        connection.execute(update(Ticket).where(Ticket.ticket_id == "T4").values(sentiment=None))
        assert rescore_ticket_tone(connection, batch_size=2) == 3  # three pages of 2, 2 and 1
    assert _tones(db.engine) == {f"T{n}": ticket_tone(*text_) for n, text_ in enumerate(texts)}


def test_upgrading_past_0010_keeps_every_card_and_what_refers_to_it(empty_engine: Engine) -> None:
    """0010 makes signal_id nullable, which SQLite can only do by rebuilding escalation_cards;
    the deliveries and override rows that refer to a card must survive it, on both backends."""
    upgrade(empty_engine, "0009")
    factory = make_session_factory(empty_engine)
    with transaction(factory) as session:
        _add_people_and_account(session, "ACC-1")
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    with empty_engine.begin() as connection:  # the 0009 schema, so plain SQL rather than the models
        signal_id = connection.execute(
            text(
                "INSERT INTO signals (account_id, trigger, as_of, fired_at, summary, details, route, reasons) "
                "VALUES ('ACC-1', 'health_low', :day, :now, 'Health 48', '{}', 'assist', '{}') RETURNING id"
            ),
            {"day": now.date(), "now": now},
        ).scalar_one()
        card_id = connection.execute(
            text(
                "INSERT INTO escalation_cards (signal_id, account_id, state, version, recipient_slack_id, "
                "created_at, delivery) VALUES (:signal, 'ACC-1', 'approved', 2, 'U0CSM001', :now, 'dm') RETURNING id"
            ),
            {"signal": signal_id, "now": now},
        ).scalar_one()
        connection.execute(
            text(
                "INSERT INTO slack_deliveries (key, kind, recipient, card_id, text, state, attempts, "
                "next_attempt_at, created_at) VALUES ('card:1', 'card', 'U0CSM001', :card, '', 'sent', 1, :now, :now)"
            ),
            {"card": card_id, "now": now},
        )
        connection.execute(
            text(
                "INSERT INTO override_log (card_id, account_id, trigger, proposed_route, proposed_draft, "
                "action, actor_slack_id, at, seconds_to_decide) "
                "VALUES (:card, 'ACC-1', 'health_low', 'assist', '', 'approved', 'U0CSM001', :now, 5)"
            ),
            {"card": card_id, "now": now},
        )
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        card = connection.execute(
            text("SELECT id, kind, propensity, audit_key, signal_id FROM escalation_cards")
        ).one()
        referring = connection.execute(
            text("SELECT (SELECT card_id FROM slack_deliveries), (SELECT card_id FROM override_log)")
        ).one()
    assert (card.id, card.kind, card.propensity, card.audit_key) == (card_id, "fired", None, None)
    assert card.signal_id == signal_id and tuple(referring) == (card_id, card_id)
    nullable = {c["name"]: c["nullable"] for c in inspect(empty_engine).get_columns("escalation_cards")}
    assert nullable["signal_id"] is True and nullable["kind"] is False
    if empty_engine.dialect.name == "sqlite":  # enforcement is back on after the migration
        with empty_engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def _override(connection: Connection, card_id: int | None, action: str, **extra: object) -> None:
    values = {"card_id": card_id, "action": action, "edited_text": None, **extra}
    connection.execute(
        text(
            "INSERT INTO override_log (card_id, account_id, trigger, proposed_route, proposed_draft, action, "
            "edited_text, reason, actor_slack_id, at, seconds_to_decide) VALUES (:card_id, 'ACC-1', "
            "'health_low', 'assist', :draft, :action, :edited_text, 'why', 'U0CSM001', :at, 60)"
        ),
        {"draft": "Hi there, usage dropped and we would like to help.", "at": NOW, **values},
    )


def _fired_card(
    session: Session, trigger: TriggerKey, details: dict[str, object], version: int
) -> int | None:
    """A signal as triggers recorded it before 0011 (no value/threshold/margin), with a card
    unless it only fired beside another."""
    decision = Decision(Signal_("ACC-1", trigger, "fired", details), Route.ASSIST, ())
    signal, _ = signals.record_signal(
        session, decision=decision, as_of=AS_OF, now=NOW, config_version=version
    )
    if trigger is TriggerKey.EXPANSION_READY:
        return None
    card = EscalationCard(signal_id=signal.id, account_id="ACC-1", state="pending", version=1,
                          recipient_slack_id=OWNER, created_at=NOW)  # fmt: skip
    return int(_insert_into_old_schema(session, card)[0])


def test_upgrading_past_0011_backfills_the_learning_context_of_past_decisions(empty_engine: Engine) -> None:
    upgrade(empty_engine, "0010")
    body = config_to_dict(load_default_config())
    body["triggers"]["health_drop"]["drop_fraction"] = 0.25
    with transaction(make_session_factory(empty_engine)) as session:
        _add_people_and_account(session, "ACC-1", segment="smb")
        version = configs.create_config_version(session, body=body, author="test", now=NOW).version
        low = _fired_card(session, TriggerKey.HEALTH_LOW, {"score": 48, "threshold": 60}, version)
        drop = _fired_card(session, TriggerKey.HEALTH_DROP, {"score": 48, "drop": 0.3}, version)
        _fired_card(session, TriggerKey.EXPANSION_READY, {"score": 48, "expansion_readiness": 91}, version)
        session.execute(
            update(EscalationCard).where(EscalationCard.id == low).values(dismiss_reason="known_context")
        )
    with empty_engine.begin() as connection:
        _override(connection, low, "dismissed")
        _override(connection, drop, "edited", edited_text="Hi there, usage dropped. Can we talk?")
        _override(connection, None, "vetoed")
    upgrade(empty_engine)
    with make_session_factory(empty_engine)() as session:
        dismissed, edited, veto = session.scalars(select(OverrideRecord).order_by(OverrideRecord.id)).all()
    assert (dismissed.reason_code, dismissed.segment, dismissed.cycle_day, dismissed.propensity) == (
        "known_context", "smb", AS_OF, 1.0,
    )  # fmt: skip
    assert dismissed.co_firing == ["expansion_ready", "health_drop"]
    assert (dismissed.fired_value, dismissed.threshold, dismissed.margin) == (48, 60, 12)
    # health_drop's line comes from the configuration version it fired under (0.25, not 0.20).
    assert (edited.fired_value, edited.threshold, edited.margin) == (0.3, 0.25, 0.05)
    assert edited.co_firing == ["expansion_ready", "health_low"] and edited.reason_code is None
    assert edited.edit_size is not None and 0.2 < edited.edit_size < 0.8 and dismissed.edit_size is None
    assert (veto.signal_id, veto.cycle_day, veto.segment, veto.propensity) == (None, None, "smb", None)


def test_an_up_to_date_sqlite_schema_is_not_checked_for_broken_references_again(tmp_path: Path) -> None:
    """The reference check reads every table with a foreign key (seconds on a large book), and
    every command upgrades first: it runs after a migration, not on a schema already at head."""
    from sqlalchemy import event

    engine = make_engine(f"sqlite:///{tmp_path / 'book.db'}")
    checks: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "foreign_key_check" in statement:
            checks.append(statement)

    upgrade(engine, "0019")
    assert len(checks) == 1  # migrations ran: the references were checked
    upgrade(engine)
    assert len(checks) == 2  # one more migration: checked again
    upgrade(engine)
    assert len(checks) == 2  # nothing to migrate: no check
