"""The assistant's answers are owed like every message Tandem sends: a delivery row per answer,
posted once in the asker's thread, retried when Slack refuses, and shown to ops when it never
gets through. Once posted, the answer (and a Confirm card's pending action) learns its ts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.delivery.engine import DeliveryRun, Rendered, deliver_due
from bot.deps import Deps
from bot.posting import PostedMessage
from storage.enums import DeliveryKind
from storage.models import AssistantAnswer, SlackDelivery
from storage.repositories import assistant as store
from storage.repositories import assistant_actions

KEY = "assistant-answer"


def answer_key(answer_id: int, action_id: int | None) -> str:
    return f"{KEY}:{answer_id}:{action_id if action_id is not None else ''}"


def _ids(key: str) -> tuple[int, int | None]:
    _, answer, action = key.split(":")
    return int(answer), (int(action) if action else None)


class AnswerRenderer:
    def render(self, session: Session, row: SlackDelivery) -> Rendered | str:
        answer = session.get(AssistantAnswer, _ids(row.key)[0])
        if answer is None:
            return "the answer no longer exists"
        return Rendered(row.text, list(row.blocks or []), thread_ts=answer.thread_ts)

    def after_sent(self, session: Session, row: SlackDelivery, posted: PostedMessage, now: datetime) -> None:
        answer_id, action_id = _ids(row.key)
        store.set_answer_ts(session, answer_id=answer_id, message_ts=posted.ts)
        if action_id is not None:  # a Confirm card: updated in place once decided or expired
            assistant_actions.set_message(session, action_id=action_id, message_ts=posted.ts)


ANSWER_RENDERERS = {DeliveryKind.ASSISTANT_ANSWER: AnswerRenderer()}


def deliver_answers(deps: Deps, *, key: str | None = None) -> DeliveryRun:
    """Post the answers owed (one, by its key, right after answering; all due, from the sweep)."""
    return deliver_due(deps, ANSWER_RENDERERS, key=key)
