"""Account exceptions in storage: one active per account and trigger, guarded moves, and the
facts scoring reads (an exception in force from the day it was set until it ends)."""

from __future__ import annotations

from datetime import timedelta

from scoring.types import AccountException as InForce
from scoring.types import TriggerKey
from storage.db import transaction
from storage.repositories import account_exceptions
from storage.repositories.facts import load_account_facts
from tests.conftest import Database
from tests.support.factories import AS_OF, NOW, OWNER, add_account, add_card, add_people


def _setup(db: Database) -> int:
    with transaction(db.session_factory) as session:
        add_people(session)
        add_account(session)
    return add_card(db.session_factory).card_id


def _set(db: Database, card_id: int | None = None) -> int | None:
    with transaction(db.session_factory) as session:
        row = account_exceptions.create_active(
            session, account_id="ACC-1", trigger="health_low", card_id=card_id, actor=OWNER, now=NOW,
            expires_at=NOW + timedelta(days=90), baseline_score=48,
        )  # fmt: skip
        return row.id if row else None


def test_one_active_exception_per_account_and_trigger(db: Database) -> None:
    _setup(db)
    first = _set(db)
    assert first is not None and _set(db) is None  # a second one loses quietly
    with transaction(db.session_factory) as session:
        assert account_exceptions.lift(session, exception_id=first, actor=OWNER, now=NOW)
        assert not account_exceptions.lift(session, exception_id=first, actor=OWNER, now=NOW)  # once
    assert _set(db) is not None  # lifted: a new one may be set


def test_an_offer_per_dismissed_card_and_one_answer(db: Database) -> None:
    card_id = _setup(db)
    with transaction(db.session_factory) as session:
        offer = account_exceptions.create_offer(
            session, account_id="ACC-1", trigger="health_low", card_id=card_id, now=NOW
        )
        assert offer is not None
        again = account_exceptions.create_offer(
            session, account_id="ACC-1", trigger="health_low", card_id=card_id, now=NOW
        )
        assert again is None
        expires = NOW + timedelta(days=90)
        assert account_exceptions.accept_offer(
            session, exception_id=offer.id, actor=OWNER, now=NOW, expires_at=expires, baseline_score=48
        )
        assert not account_exceptions.decline_offer(session, exception_id=offer.id, actor=OWNER, now=NOW)


def test_facts_carry_the_exceptions_in_force_from_the_day_they_were_set(db: Database) -> None:
    _setup(db)
    exception_id = _set(db)
    assert exception_id is not None
    with db.session_factory() as session:
        (today,) = load_account_facts(session, as_of=AS_OF)
        (before,) = load_account_facts(session, as_of=AS_OF - timedelta(days=1))
    assert today.history.exceptions == (
        InForce(exception_id, TriggerKey.HEALTH_LOW, OWNER, AS_OF, AS_OF + timedelta(days=90), 48),
    )
    assert before.history.exceptions == ()
    with transaction(db.session_factory) as session:
        account_exceptions.lapse(
            session, exception_id=exception_id, reason="worsened", detail="worse", now=NOW
        )
    with db.session_factory() as session:
        (after,) = load_account_facts(session, as_of=AS_OF)
    assert after.history.exceptions == ()
