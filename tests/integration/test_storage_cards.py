"""Card and override repositories: one card per signal, guarded decisions, the override log."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage.db import transaction
from storage.enums import CardState
from storage.models import Draft, Signal
from storage.repositories import cards, overrides
from tests.conftest import Database
from tests.support import factories
from tests.support.factories import NOW, OWNER


@pytest.fixture
def card_id(db: Database) -> int:
    with transaction(db.session_factory) as session:
        factories.add_people(session)
        factories.add_account(session)
    return factories.add_card(db.session_factory).card_id


def test_create_card_is_idempotent_on_the_signal(db: Database, card_id: int) -> None:
    with transaction(db.session_factory) as session:
        card = cards.get_card(session, card_id=card_id)
        assert card is not None
        again = cards.create_card(
            session,
            signal_id=card.signal_id,
            account_id="ACC-1",
            draft_id=None,
            recipient_slack_id="U0X",
            now=NOW,
        )
        assert again.id == card_id and again.recipient_slack_id == OWNER
        assert [c.id for c in cards.pending_cards_for(session, slack_id=OWNER)] == [card_id]


def test_only_the_first_decision_wins(db: Database, card_id: int) -> None:
    later = NOW + timedelta(minutes=5)
    with transaction(db.session_factory) as session:
        assert cards.decide(session, card_id=card_id, new_state=CardState.APPROVED, actor=OWNER, now=later)
    with transaction(db.session_factory) as session:
        lost = cards.decide(
            session, card_id=card_id, new_state=CardState.TAKEN_OVER, actor="U0MGR001", now=later
        )
        assert lost is False
        card = cards.get_card(session, card_id=card_id)
        assert card is not None
        assert (card.state, card.decided_by, card.version, card.decided_at) == ("approved", OWNER, 2, later)
        assert cards.pending_cards_for(session, slack_id=OWNER) == []


def test_a_card_cannot_be_decided_back_to_pending(db: Database, card_id: int) -> None:
    with transaction(db.session_factory) as session, pytest.raises(ValueError):
        cards.decide(session, card_id=card_id, new_state=CardState.PENDING, actor=OWNER, now=NOW)


def test_mark_posted_and_the_override_log(db: Database, card_id: int) -> None:
    with transaction(db.session_factory) as session:
        cards.mark_posted(session, card_id=card_id, channel_id="D0CSM001", message_ts="1.1", now=NOW)
    decided_at = NOW + timedelta(minutes=14)
    with transaction(db.session_factory) as session:
        cards.decide(session, card_id=card_id, new_state=CardState.EDITED, actor=OWNER, now=decided_at)
        card = cards.get_card(session, card_id=card_id)
        assert card is not None and (card.channel_id, card.message_ts, card.posted_at) == (
            "D0CSM001",
            "1.1",
            NOW,
        )
        signal = session.get(Signal, card.signal_id)
        draft = session.get(Draft, card.draft_id)
        assert signal is not None and draft is not None
        record = overrides.record_override(
            session, card=card, signal=signal, draft=draft, action="edited", actor=OWNER, now=decided_at,
            edited_text="Shorter.", reason=None,
        )  # fmt: skip
        assert record.seconds_to_decide == 14 * 60 and record.trigger == "health_low"
    with db.session_factory() as session:
        assert [r.id for r in overrides.list_overrides(session)] == [record.id]
        assert overrides.list_overrides(session, since=decided_at + timedelta(seconds=1)) == []
        (stored,) = overrides.list_overrides(session, since=decided_at)
        assert (stored.action, stored.edited_text, stored.proposed_route) == ("edited", "Shorter.", "assist")
