"""A batch of cards renders from what was loaded for the whole batch, exactly as each card
renders alone: the same text and blocks (its day's other triggers, its trend), in a handful of
queries for the batch, across cards of different days."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import event, select

from bot.settings import Settings
from bot.workflows.card_posting import render_card
from scoring.types import Decision, Reason, Route, Signal, TriggerKey
from storage.db import transaction
from storage.models import EscalationCard, HealthSnapshot
from storage.repositories import card_batches, signals
from tests.conftest import Database
from tests.support import factories

DAYS = (factories.AS_OF - timedelta(days=1), factories.AS_OF)


def _book(db: Database) -> list[int]:
    """Six accounts with a card each (three a day over two days), a second trigger fired on
    some of the cards' days, and a score history behind each card's trend."""
    with transaction(db.session_factory) as session:
        factories.add_people(session)
        for index in range(6):
            factories.add_account(session, f"ACC-{index}", f"Account {index}")
    for index in range(6):
        day = DAYS[index % 2]
        account_id = f"ACC-{index}"
        factories.add_card(
            db.session_factory,
            account_id=account_id,
            as_of=day,
            now=factories.NOW - timedelta(days=1 - index % 2),
        )
        with transaction(db.session_factory) as session:
            for back in (7, 30):  # the trend compares with these days
                session.add(
                    HealthSnapshot(account_id=account_id, as_of=day - timedelta(days=back), score=60 + index,
                                   band="yellow", confidence=0.9, factors={}, explanation="")
                )  # fmt: skip
            if index % 3 == 0:  # another trigger the same day: "also renewal_risk"
                decision = Decision(Signal(account_id, TriggerKey.RENEWAL_RISK, "Renewal in 30 days"), Route.HUMAN,
                                    (Reason("renewal", "Renewal soon."),))  # fmt: skip
                signals.record_signal(
                    session, decision=decision, as_of=day, now=factories.NOW, config_version=1
                )
    with db.session_factory() as session:
        return list(session.scalars(select(EscalationCard.id).order_by(EscalationCard.id)))


def _render_all(db: Database, card_ids: list[int], *, prefetch: bool) -> tuple[list[Any], int]:
    settings = Settings.model_validate({})
    statements: list[str] = []
    engine = db.session_factory.kw["bind"]

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with db.session_factory() as session:
        loaded = card_batches.load_cards_for_rendering(session, card_ids=card_ids) if prefetch else None
        event.listen(engine, "before_cursor_execute", count)
        try:
            rendered = []
            for card_id in card_ids:
                card = session.get(EscalationCard, card_id)
                assert card is not None
                rendered.append(render_card(session, card, settings))
        finally:
            event.remove(engine, "before_cursor_execute", count)
        del loaded
    return rendered, len(statements)


def test_a_batch_renders_as_each_card_alone_with_no_query_per_card(db: Database) -> None:
    card_ids = _book(db)
    alone, queries_alone = _render_all(db, card_ids, prefetch=False)
    batched, queries_batched = _render_all(db, card_ids, prefetch=True)
    assert batched == alone
    assert all(message is not None for message in alone)
    also = [text for text, _ in alone if "renewal_risk" in str(_)]
    assert len(also) == 2  # the two cards whose day saw a second trigger say so
    assert any("Trend:" in str(blocks) for _, blocks in alone)
    assert queries_alone >= 3 * len(card_ids)  # each card alone asks for its signal, day, trend, …
    assert queries_batched <= 2  # the batch's loads answer every card's own questions
