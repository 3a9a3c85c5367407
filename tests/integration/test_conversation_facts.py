"""The bulk read of linked channels (storage.repositories.conversation_facts), on both
backends: only customer messages in linked channels count (not internal ones, not deleted
ones, not an unlinked channel's), the window against the one before, topics with the newest
alarm message, open questions, and the champion matched by email; the whole-book feature
table holds the same conversation columns as the per-account facts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
from sqlalchemy import update

from scoring.config import load_default_config
from scoring.conversation_signals import CONVERSATION_COLUMNS
from scoring.features import table_from_facts
from storage.db import transaction
from storage.enums import AuthorKind, ChannelState
from storage.models import Account
from storage.repositories.conversation_facts import load_conversation_facts
from storage.repositories.facts import load_account_facts
from storage.repositories.feature_table import load_feature_table
from tests.conftest import Database
from tests.support import factories
from tests.support.conversation_factories import (
    CHAMPION,
    INTERNAL,
    add_message,
    add_person,
    link_channel,
)

AS_OF = date(2026, 3, 9)
NOW = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)


def _book(db: Database) -> dict[str, int]:
    ids: dict[str, int] = {}
    with transaction(db.session_factory) as session:
        factories.add_people(session)
        factories.add_account(session, "ACC-1", "Acme Corp")
        factories.add_account(session, "ACC-2", "Bolt Ltd")
        factories.add_account(session, "ACC-3", "Quiet Inc")  # no channel at all
        session.execute(
            update(Account).where(Account.account_id == "ACC-1").values(champion_email="Dana@Acme.example")
        )
        link_channel(session, account_id="ACC-1", channel_id="C0ACME")
        link_channel(session, account_id="ACC-2", channel_id="C0BOLT")
        link_channel(session, account_id="ACC-2", channel_id="C0BOLTOLD", state=ChannelState.UNLINKED)
        add_person(session, CHAMPION, email="dana@acme.example")
        add_person(session, "U0CUST001", email="sam@acme.example")
        add_person(session, INTERNAL, email="ana@tandem.example", kind=AuthorKind.INTERNAL)

        def say(text: str, days_ago: float, **more: object) -> int:
            more.setdefault("channel_id", "C0ACME")
            return add_message(session, text, posted_at=NOW - timedelta(days=days_ago), **more).id  # type: ignore[arg-type]

        ids["old_rival"] = say("We looked at another vendor last year.", 40)  # the window before
        say("This is terrible, awful, useless and broken.", 45)
        ids["rival"] = say("We are evaluating another vendor.", 3)
        ids["newer_rival"] = say("Honestly we might switch to another vendor.", 1)
        ids["hostile"] = say("This is terrible, awful, useless and I hate it.", 2)
        ids["question"] = say("Can you look at our export?", 0.5)
        say("Can you answer me?", 1.5, answered_at=NOW - timedelta(days=1))
        say("We will cancel.", 1.01, deleted=True)
        say("Are they evaluating another vendor?", 1.02, user_id=INTERNAL, kind=AuthorKind.INTERNAL)
        ids["champion"] = say("Thanks team, all good.", 10, user_id=CHAMPION)
        say("We will cancel everything.", 1, channel_id="C0BOLTOLD", account_id="ACC-2")
        say("Hello from Bolt.", 1, channel_id="C0BOLT", account_id="ACC-2")
    return ids


def test_the_bulk_read_counts_what_the_customer_said(db: Database) -> None:
    ids = _book(db)
    rules = load_default_config().conversations
    with db.session_factory() as session:
        heard = load_conversation_facts(session, as_of=AS_OF, rules=rules, now=NOW)
    assert set(heard) == {"ACC-1", "ACC-2"}
    acme, bolt = heard["ACC-1"], heard["ACC-2"]
    assert (acme.messages, acme.prev_messages) == (6, 2)  # customer, not deleted, not internal
    assert (acme.hostile, acme.prev_hostile) == (1, 1)
    assert acme.newest_hostile is not None and acme.newest_hostile.message_id == ids["hostile"]
    assert acme.topic_count("competitor") == 2
    assert [m.message_id for m in acme.alarms] == [ids["newer_rival"]]  # the newest per alarm topic
    assert [q.message_id for q in acme.open_questions] == [ids["question"]]
    assert acme.champion_named and acme.champion_last_at == NOW - timedelta(days=10)
    assert acme.timezone is None and acme.read_at == NOW
    assert (
        bolt.messages == 1 and bolt.alarms == () and not bolt.champion_named
    )  # the unlinked channel is not heard
    with db.session_factory() as session:
        only = load_conversation_facts(session, as_of=AS_OF, rules=rules, account_ids=["ACC-2", "ACC-3"])
    assert set(only) == {"ACC-2"}


def test_the_bulk_table_and_the_facts_agree_on_the_conversation_columns(db: Database) -> None:
    _book(db)
    config = load_default_config()
    with db.session_factory() as session:
        bulk = load_feature_table(session, as_of=AS_OF, config=config)
        facts = load_account_facts(session, as_of=AS_OF, conversations=config.conversations)
    one_by_one = table_from_facts(facts, as_of=AS_OF, config=config)
    assert bulk.account_ids == one_by_one.account_ids == ["ACC-1", "ACC-2", "ACC-3"]
    for name in CONVERSATION_COLUMNS:
        np.testing.assert_allclose(bulk[name], one_by_one[name], err_msg=name)
    assert list(bulk["c_linked"]) == [1, 1, 0]
    assert (
        bulk["c_alarms"][0] == 2 and bulk["c_waiting"][0] == 1
    )  # asked Monday 00:00 UTC: 8 working hours by the day's end
    assert bulk["c_champion_silence"][0] == 10 and np.isnan(bulk["c_champion_silence"][1:]).all()
