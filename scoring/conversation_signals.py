"""What an account's linked Slack Connect channel says, per account per day: pure figures.

`storage.repositories.conversation_facts` reads, in bulk, what the stored messages add up to
(`ConversationFacts`: counts, tone sums, topic counts, the messages worth citing, the
customer's unanswered questions, the champion's last message). This module turns them into:

- the feature table's conversation columns (`conversation_row`), so the conversation signals
  (scoring.signals) are calibrated and explained like every other signal; an account with no
  linked channel has none of them (missing data, never zero), so it scores exactly as before;
- the signs that fire triggers: rising hostile tone and an alarm topic (a competitor, cancel)
  for the sentiment trigger, a question past `unanswered_working_hours` working hours in the
  account's time zone for `customer_waiting`, and champion silence.

Messages are cited by id (the card fetches their permalink and a short fenced excerpt);
nothing here holds or returns a customer's words. Pure: no Slack, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from scoring.config import Conversations
from scoring.conversation_facts import CitedMessage, ConversationFacts
from scoring.working_time import WorkingHours, working_time_between, zone_of

CONVERSATION_COLUMNS = (
    "c_linked",  # 1 when the account has a linked channel: every other column means something
    "c_messages", "c_prev_messages",
    "c_tone_sum", "c_tone_n", "c_prev_tone_sum", "c_prev_tone_n",
    "c_hostile", "c_prev_hostile",
    "c_alarms",  # customer messages on an alarm topic (a competitor, cancel) in the window
    "c_waiting",  # customer questions past the unanswered working hours
    "c_champion_silence",  # days since the champion's last message (NaN: no champion named)
)  # fmt: skip
NAN = float("nan")


def working_hours_of(rules: Conversations) -> WorkingHours:
    return _parsed(rules.working_hours, rules.working_days)


@lru_cache(maxsize=16)
def _parsed(hours: str, days: str) -> WorkingHours:
    return WorkingHours.parse(hours, days)


def waiting_questions(facts: ConversationFacts, rules: Conversations) -> tuple[CitedMessage, ...]:
    """The customer's unanswered questions that have waited `unanswered_working_hours` of the
    customer's working time (their time zone; weekends out) by `read_at`, oldest first."""
    hours = working_hours_of(rules)
    zone = zone_of(facts.timezone)
    limit = timedelta(hours=rules.unanswered_working_hours)
    return tuple(
        q
        for q in facts.open_questions
        if working_time_between(q.posted_at, facts.read_at, zone, hours) >= limit
    )


def champion_silence_days(facts: ConversationFacts, as_of: date) -> float:
    """Days since the named champion last wrote in a linked channel; since the link when they
    never have. NaN without a named champion or a linked channel."""
    if not facts.champion_named:
        return NAN
    last = facts.champion_last_at or facts.linked_since
    if last is None:
        return NAN
    return float(max(0, (as_of - last.astimezone(UTC).date()).days))


def champion_silent(facts: ConversationFacts, as_of: date, rules: Conversations) -> bool:
    days = champion_silence_days(facts, as_of)
    return days == days and days >= rules.champion_silence_days  # NaN is never silent


def alarm_count(facts: ConversationFacts, rules: Conversations) -> int:
    return sum(facts.topic_count(topic) for topic in rules.alarm_topics)


def conversation_row(facts: ConversationFacts | None, as_of: date, rules: Conversations) -> dict[str, float]:
    """One account's conversation columns (all zero, c_linked 0, without a linked channel)."""
    row = dict.fromkeys(CONVERSATION_COLUMNS, 0.0)
    row["c_champion_silence"] = NAN
    if facts is None:
        return row
    row |= {
        "c_linked": 1.0,
        "c_messages": facts.messages,
        "c_prev_messages": facts.prev_messages,
        "c_tone_sum": facts.tone_sum,
        "c_tone_n": facts.tone_n,
        "c_prev_tone_sum": facts.prev_tone_sum,
        "c_prev_tone_n": facts.prev_tone_n,
        "c_hostile": facts.hostile,
        "c_prev_hostile": facts.prev_hostile,
        "c_alarms": alarm_count(facts, rules),
        "c_waiting": len(waiting_questions(facts, rules)),
        "c_champion_silence": champion_silence_days(facts, as_of),
    }
    return row


@dataclass(frozen=True, slots=True)
class ConversationSign:
    """A sign of deteriorating sentiment heard in the channel, with the messages it cites."""

    kind: str  # HOSTILE_TONE or ALARM_TOPIC
    words: str  # no customer text: "a customer mentioned a competitor in their channel"
    messages: tuple[CitedMessage, ...]


HOSTILE_TONE = "hostile_channel_tone"
ALARM_TOPIC = "channel_alarm_topic"
TOPIC_WORDS = {"competitor": "a competitor", "cancel": "cancelling"}


def conversation_signs(facts: ConversationFacts | None, rules: Conversations) -> list[ConversationSign]:
    """Rising hostile tone (at least `rising_hostile_messages` hostile customer messages in the
    window, more than the window before) and each alarm topic a customer raised in the window."""
    if facts is None:
        return []
    signs: list[ConversationSign] = []
    if facts.hostile >= rules.rising_hostile_messages and facts.hostile > facts.prev_hostile:
        cited = (facts.newest_hostile,) if facts.newest_hostile is not None else ()
        words = (
            f"{facts.hostile} hostile customer messages in the channel in {rules.window_days} days "
            f"(up from {facts.prev_hostile})"
        )
        signs.append(ConversationSign(HOSTILE_TONE, words, cited))
    for message in facts.alarms:
        raised = [topic for topic in message.topics if topic in rules.alarm_topics]
        if not raised:
            continue
        what = " and ".join(TOPIC_WORDS.get(topic, topic) for topic in raised)
        when = f"{message.posted_at.astimezone(UTC):%Y-%m-%d}"
        signs.append(
            ConversationSign(
                ALARM_TOPIC, f"a customer mentioned {what} in their channel ({when})", (message,)
            )
        )
    return _one_per_message(signs)


def _one_per_message(signs: list[ConversationSign]) -> list[ConversationSign]:
    """Alarm signs citing a message another alarm sign already cites are merged away."""
    seen: set[int] = set()
    kept: list[ConversationSign] = []
    for sign in signs:
        if sign.kind == ALARM_TOPIC and all(m.message_id in seen for m in sign.messages):
            continue
        seen.update(m.message_id for m in sign.messages)
        kept.append(sign)
    return kept


def cited_details(messages: tuple[CitedMessage, ...] | list[CitedMessage]) -> list[dict[str, object]]:
    """Messages as a signal's details carry them: ids only (storage holds the words)."""
    return [
        {"message_id": m.message_id, "channel_id": m.channel_id, "ts": m.ts,
         "posted_at": m.posted_at.astimezone(UTC).isoformat()}
        for m in messages
    ]  # fmt: skip


def end_of_day(day: date) -> datetime:
    """The first moment after `day` (UTC): the latest a day's cycle measures a wait to."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)
