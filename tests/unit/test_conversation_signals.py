"""The conversation signals, pure: a question's wait in the customer's working hours (their
zone, weekends out, a daylight-saving change), champion silence, the sentiment signs, the
customer_waiting trigger and its route, and an account without a linked channel scoring
exactly as before (missing, not zero)."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import numpy as np

from scoring.card_budget import CardCandidate, allocate
from scoring.config import Conversations, TriggerConfig, load_default_config
from scoring.conversation_facts import CitedMessage, ConversationFacts
from scoring.conversation_signals import (
    ALARM_TOPIC,
    HOSTILE_TONE,
    champion_silence_days,
    champion_silent,
    conversation_row,
    conversation_signs,
    waiting_questions,
)
from scoring.decisions import decide
from scoring.features import table_from_facts
from scoring.health import score_account
from scoring.signals import CONVERSATION_SIGNALS, signal_matrix
from scoring.types import AccountFacts, BookFacts, Route, Segment, TriggerKey

RULES = Conversations()
FRIDAY_3PM_NY = datetime(2026, 3, 6, 20, 0, tzinfo=UTC)  # EST; New York moves to EDT on 8 March
QUESTION = CitedMessage(7, "C0ACME", "1772827200.000100", FRIDAY_3PM_NY)


def _heard(at: datetime, **more: object) -> ConversationFacts:
    return ConversationFacts(read_at=at, timezone="America/New_York", **more)  # type: ignore[arg-type]


def _account(conversation: ConversationFacts | None = None) -> AccountFacts:
    return AccountFacts(
        "ACC-1",
        "Acme",
        Segment.MID_MARKET,
        60_000.0,
        "U0CSM001",
        date(2026, 6, 30),
        conversation=conversation,
    )


def test_a_question_waits_in_the_customers_working_hours_only() -> None:
    def waiting_at(at: datetime) -> bool:
        return bool(waiting_questions(_heard(at, open_questions=(QUESTION,)), RULES))

    assert not waiting_at(datetime(2026, 3, 6, 23, 0, tzinfo=UTC))  # Friday 18:00: 2 working hours
    assert not waiting_at(datetime(2026, 3, 8, 23, 0, tzinfo=UTC))  # Sunday: still 2
    assert not waiting_at(datetime(2026, 3, 9, 14, 59, tzinfo=UTC))  # Monday 10:59 EDT: 3h59
    assert waiting_at(datetime(2026, 3, 9, 15, 0, tzinfo=UTC))  # Monday 11:00 EDT: 4 working hours
    # In UTC (no zone known) Friday 20:00 is after hours: the wait starts Monday 09:00 UTC.
    utc = replace(_heard(datetime(2026, 3, 9, 12, 59, tzinfo=UTC), open_questions=(QUESTION,)), timezone=None)
    assert not waiting_questions(utc, RULES)
    assert waiting_questions(replace(utc, read_at=datetime(2026, 3, 9, 13, 0, tzinfo=UTC)), RULES)


def test_customer_waiting_fires_for_the_owner_and_skips_the_budget() -> None:
    config = load_default_config()
    at = datetime(2026, 3, 9, 15, 30, tzinfo=UTC)
    account = _account(_heard(at, open_questions=(QUESTION,)))
    health = score_account(account, as_of=at.date(), config=config)
    [decision] = decide(account, health, book=BookFacts(60_000.0, 1), as_of=at.date(), config=config)
    assert decision.trigger is TriggerKey.CUSTOMER_WAITING and decision.route is Route.HUMAN
    assert decision.reasons[0].code == "customer_waiting"
    assert decision.signal.details["working_hours_waited"] == 4.5
    assert decision.signal.details["messages"] == [
        {"message_id": 7, "channel_id": "C0ACME", "ts": QUESTION.ts, "posted_at": FRIDAY_3PM_NY.isoformat()}
    ]
    tight = TriggerConfig.model_validate({"guardrails": {"card_budget": {"per_csm_per_day": 1}}})
    waiting = [CardCandidate(f"A{i}", "U1", Route.HUMAN, TriggerKey.CUSTOMER_WAITING, 1.0) for i in range(3)]
    other = CardCandidate("B", "U1", Route.HUMAN, TriggerKey.HEALTH_LOW, 1.0)
    assert allocate([*waiting, other], posted_today={"U1": 1}, config=tight) == ({"A0", "A1", "A2"}, {"B"})


def test_champion_silence_counts_from_their_last_message_or_the_link() -> None:
    as_of = date(2026, 3, 9)
    linked = datetime(2026, 1, 5, tzinfo=UTC)
    assert math.isnan(
        champion_silence_days(_heard(datetime(2026, 3, 9, tzinfo=UTC), linked_since=linked), as_of)
    )
    never = _heard(datetime(2026, 3, 9, tzinfo=UTC), linked_since=linked, champion_named=True)
    assert champion_silence_days(never, as_of) == 63 and champion_silent(never, as_of, RULES)
    spoke = replace(never, champion_last_at=datetime(2026, 2, 10, 12, tzinfo=UTC))
    assert champion_silence_days(spoke, as_of) == 27 and not champion_silent(spoke, as_of, RULES)


def test_signs_rising_hostility_and_alarm_topics_cite_messages_not_words() -> None:
    at = datetime(2026, 3, 9, tzinfo=UTC)
    rude = CitedMessage(1, "C0ACME", "1.1", at - timedelta(days=1))
    rival = CitedMessage(2, "C0ACME", "1.2", at - timedelta(days=2), ("competitor", "price"))
    heard = _heard(at, hostile=2, prev_hostile=0, newest_hostile=rude, alarms=(rival,),
                   topic_counts=(("competitor", 1), ("price", 1)))  # fmt: skip
    signs = conversation_signs(heard, RULES)
    assert [(s.kind, [m.message_id for m in s.messages]) for s in signs] == [
        (HOSTILE_TONE, [1]),
        (ALARM_TOPIC, [2]),
    ]
    assert signs[1].words == "a customer mentioned a competitor in their channel (2026-03-07)"
    assert conversation_signs(replace(heard, prev_hostile=2, alarms=()), RULES) == []  # not rising
    assert conversation_signs(None, RULES) == []


def test_an_account_without_a_linked_channel_scores_exactly_as_before() -> None:
    config = load_default_config()
    as_of = date(2026, 3, 9)
    quiet, heard = _account(), _account(_heard(datetime(2026, 3, 9, tzinfo=UTC), messages=4, tone_sum=-2.0,
                                               tone_n=4, hostile=2, champion_named=True))  # fmt: skip
    table = table_from_facts([quiet, heard], as_of=as_of, config=config)
    values = signal_matrix(table, CONVERSATION_SIGNALS, config)
    assert np.isnan(values[0]).all()  # missing, never zero
    assert values[1][0] == 4 and values[1][1] == -0.5 and values[1][3] == 2
    names = {spec.name for spec in CONVERSATION_SIGNALS}
    assert not names & {name for name, _ in score_account(quiet, as_of=as_of, config=config).points}
    # The hand-set score gives the conversation signals no points: they reach it by calibration.
    assert (
        score_account(heard, as_of=as_of, config=config).score
        == score_account(quiet, as_of=as_of, config=config).score
    )
    assert conversation_row(None, as_of, RULES)["c_linked"] == 0
