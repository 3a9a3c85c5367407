"""The assistant's memory: conversations by (channel, thread), the answers it gave, which
messages are Tandem's own (a reply in their thread is a question to Tandem), and the events
already answered (a retry, or a mention delivered twice, is answered once)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.models import (
    AssistantAnswer,
    AssistantConversation,
    EscalationCard,
    OverrideRecord,
    SlackDelivery,
)
from storage.repositories.seen_requests import first_sighting

TTL = timedelta(hours=24)  # a conversation's context lives this long after its last turn
MAX_TURNS = 10  # turns kept per conversation
SEEN_FOR = timedelta(hours=2)  # Slack retries within minutes; a double delivery within seconds
FEEDBACK_ROUTE = "assistant"


def claim_event(session: Session, *, key: str, actor: str, now: datetime) -> bool:
    """True the first time `key` (an event id, or a channel:ts) is seen: answer it; False: done."""
    return first_sighting(
        session, fingerprint=f"assistant:{key}"[:64], kind="assistant", actor=actor[:32], now=now,
        expires_at=now + SEEN_FOR,
    )  # fmt: skip


def conversation(
    session: Session, *, channel: str, thread_ts: str, now: datetime
) -> AssistantConversation | None:
    """The live conversation in this thread (None when there is none, or it expired)."""
    found = session.get(AssistantConversation, (channel, thread_ts))
    if found is None or _aware(found.expires_at) <= now:
        return None
    return found


def remember(
    session: Session,
    *,
    channel: str,
    thread_ts: str,
    requester: str,
    now: datetime,
    turns: list[dict[str, Any]],
    account_id: str | None,
    card_id: int | None,
) -> None:
    """Add turns to the thread's conversation (created if new or expired); keep the last MAX_TURNS."""
    session.execute(delete(AssistantConversation).where(AssistantConversation.expires_at <= now))
    found = session.get(AssistantConversation, (channel, thread_ts))
    if found is None:
        found = AssistantConversation(channel=channel, thread_ts=thread_ts, requester=requester, turns=[])
        session.add(found)
    found.turns = [*list(found.turns or []), *turns][-MAX_TURNS:]
    found.account_id = account_id or found.account_id
    found.card_id = card_id if card_id is not None else found.card_id
    found.updated_at = now
    found.expires_at = now + TTL


def record_answer(session: Session, **row: Any) -> int:
    answer = AssistantAnswer(**row)
    session.add(answer)
    session.flush()
    return answer.id


def set_answer_ts(session: Session, *, answer_id: int, message_ts: str) -> None:
    answer = session.get(AssistantAnswer, answer_id)
    if answer is not None:
        answer.message_ts = message_ts


def answer_ts(session: Session, *, answer_id: int) -> str | None:
    answer = session.get(AssistantAnswer, answer_id)
    return answer.message_ts if answer is not None else None


def answer_posted_at(session: Session, *, channel: str, message_ts: str) -> AssistantAnswer | None:
    return session.scalar(
        select(AssistantAnswer)
        .where(AssistantAnswer.channel == channel, AssistantAnswer.message_ts == message_ts)
        .limit(1)
    )


def card_posted_at(session: Session, *, channel: str, message_ts: str) -> EscalationCard | None:
    return session.scalar(
        select(EscalationCard)
        .where(EscalationCard.channel_id == channel, EscalationCard.message_ts == message_ts)
        .limit(1)
    )


def tandem_posted(session: Session, *, channel: str, message_ts: str, now: datetime | None = None) -> bool:
    """Is this message one Tandem posted (a card, a digest, a notice, a brief, an answer), or the
    start of a thread Tandem is talking in (a mention it answered there)?"""
    if now is not None and conversation(session, channel=channel, thread_ts=message_ts, now=now) is not None:
        return True
    if card_posted_at(session, channel=channel, message_ts=message_ts) is not None:
        return True
    if answer_posted_at(session, channel=channel, message_ts=message_ts) is not None:
        return True
    delivery = session.scalar(
        select(SlackDelivery.id)
        .where(SlackDelivery.channel_id == channel, SlackDelivery.message_ts == message_ts)
        .limit(1)
    )
    return delivery is not None


def record_feedback(
    session: Session, *, actor: str, positive: bool, question: str, account_id: str | None, now: datetime
) -> OverrideRecord:
    """A thumbs up / down on an answer, in the override log with the question (not a decision:
    storage.enums.DECISION_ACTIONS leaves it out, so learning never counts it)."""
    record = OverrideRecord(
        account_id=account_id,
        trigger="",
        proposed_route=FEEDBACK_ROUTE,
        proposed_draft="",
        action="assistant_feedback_up" if positive else "assistant_feedback_down",
        reason=question,
        actor_slack_id=actor,
        at=now,
        seconds_to_decide=0.0,
    )
    session.add(record)
    session.flush()
    return record


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
