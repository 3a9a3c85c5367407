"""A message to the assistant, from the Slack event to the answer in its thread.

Which messages deserve an answer: a person's message in their DM with Tandem; a reply in the
thread of a message Tandem posted (a card, a digest, a brief, an earlier answer); a mention
(`app_mention`). Never a bot's message, an edit or a deletion. Each is answered once: the event's
id and its (channel, ts) are claimed first, so Slack's retries and a mention delivered twice (as
`app_mention` and as `message`) find it claimed.

The conversation store (storage.repositories.assistant) gives a follow-up its thread's account;
a card's thread makes "this" that card's account. Every answer is stored with its sources, how
it was made, its tokens and cost, and the ts it was posted at (feedback refers to it).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from bot.assistant import router
from bot.assistant.types import Ask, Intent, Reply, Turn
from bot.blocks.assistant import PROMPTS, answer_message
from bot.deps import Deps
from bot.workflows.assistant_delivery import answer_key, deliver_answers
from storage.db import transaction
from storage.enums import DeliveryKind
from storage.models import ConversationChannel, User
from storage.repositories import assistant as store
from storage.repositories import deliveries
from storage.repositories.cards import get_card
from storage.repositories.deliveries import posted_at

logger = logging.getLogger(__name__)

ANSWERED_SUBTYPES = (None, "file_share", "thread_broadcast")
STATUS = "is looking…"
LOADING = ["Reading the book…", "Checking the evidence…"]
APOLOGY = "Sorry, something went wrong while I was answering. Nothing was changed; please ask again."


@dataclass(frozen=True)
class Incoming:
    event_id: str
    user: str
    channel: str
    ts: str
    thread_ts: str
    text: str


def is_person_message(event: Mapping[str, Any], *, bot_user_id: str | None) -> bool:
    """A person's new message (not a bot's, not an edit or deletion, not the bot's own)."""
    return (
        not event.get("bot_id")
        and event.get("subtype") in ANSWERED_SUBTYPES
        and isinstance(event.get("user"), str)
        and event.get("user") != bot_user_id
        and isinstance(event.get("channel"), str)
        and isinstance(event.get("ts"), str)
    )


def mentions(text: str, bot_user_id: str | None) -> bool:
    return bool(bot_user_id) and re.search(rf"<@{re.escape(str(bot_user_id))}(\|[^>]*)?>", text) is not None


def wants_answer(deps: Deps, event: Mapping[str, Any], *, bot_user_id: str | None) -> bool:
    """For the `message` listener: a DM, or a reply in a thread Tandem posted or answered in (a
    message that mentions Tandem is the `app_mention` listener's)."""
    if not is_person_message(event, bot_user_id=bot_user_id):
        return False
    if event.get("channel_type") == "im":
        return True
    if mentions(str(event.get("text") or ""), bot_user_id):
        return False
    parent = event.get("thread_ts")
    if not isinstance(parent, str) or parent == event.get("ts"):
        return False  # a top-level channel message is not a question to Tandem
    with deps.session_factory() as session:
        return store.tandem_posted(
            session, channel=str(event["channel"]), message_ts=parent, now=deps.clock.now()
        )


SHARED_CHANNEL_NOTE = (
    "I don't answer in channels shared with another company: everyone there, the customer too, "
    "would see what I say about their account. Ask me in a DM instead."
)


def shared_with_outsiders(deps: Deps, event: Mapping[str, Any], body: Mapping[str, Any]) -> bool:
    """A Slack Connect channel (Slack says so on the event, or Tandem knows it as one, linked
    or not): the assistant never answers there, whoever asks."""
    if body.get("is_ext_shared_channel") is True:
        return True
    channel = event.get("channel")
    if not isinstance(channel, str) or event.get("channel_type") == "im":
        return False
    with deps.session_factory() as session:
        return session.get(ConversationChannel, channel) is not None


def decline_in_shared_channel(deps: Deps, client: WebClient, message: Incoming) -> None:
    """Tell a colleague who asked in a shared channel, privately and once, to ask in a DM; a
    customer (someone Tandem does not know) gets nothing at all."""
    now = deps.clock.now()
    with transaction(deps.session_factory) as session:
        first = store.claim_event(session, key=f"event:{message.event_id}", actor=message.user, now=now)
        known = session.get(User, message.user) is not None
    if first and known:
        client.chat_postEphemeral(
            channel=message.channel, user=message.user, text=SHARED_CHANNEL_NOTE,
            thread_ts=message.thread_ts if message.thread_ts != message.ts else None,
        )  # fmt: skip


def incoming(event: Mapping[str, Any], event_id: str | None) -> Incoming:
    channel, ts = str(event["channel"]), str(event["ts"])
    return Incoming(
        event_id=event_id or f"{channel}:{ts}",
        user=str(event["user"]),
        channel=channel,
        ts=ts,
        thread_ts=str(event.get("thread_ts") or ts),
        text=str(event.get("text") or ""),
    )


def answer_event(deps: Deps, client: WebClient, message: Incoming) -> Reply | None:
    """Answer the message once (None: already answered, a retry or a double delivery)."""
    now = deps.clock.now()
    with transaction(deps.session_factory) as session:
        first = store.claim_event(session, key=f"event:{message.event_id}", actor=message.user, now=now)
        first = first and store.claim_event(
            session, key=f"msg:{message.channel}:{message.ts}", actor=message.user, now=now
        )
    if not first:
        logger.info("assistant: %s already answered", message.event_id)
        return None
    turn, history = _turn(deps, message)
    _set_status(client, message)
    try:
        reply = router.respond(deps, turn, history, client=client)
    except Exception:
        logger.exception("assistant: answering %s failed", message.event_id)
        reply = Reply(APOLOGY, "error")
    post(deps, client, turn, reply, question=message.text)
    return reply


def answer_pick(deps: Deps, client: WebClient, *, user: str, channel: str, thread_ts: str, click_id: str,
                value: str) -> Reply | None:  # fmt: skip
    """A pick-list button: the same question, for the account picked (checked again in scope)."""
    try:
        picked = json.loads(value)
        intent, account_id = Intent(picked["q"]), str(picked["a"])
    except (ValueError, KeyError, TypeError):
        return None
    with transaction(deps.session_factory) as session:
        if not store.claim_event(session, key=f"pick:{click_id}", actor=user, now=deps.clock.now()):
            return None
    turn = Turn(user, channel, thread_ts, thread_ts, f"({intent.value} {account_id})", account_id=account_id)
    try:
        reply = router.answer(deps, turn, Ask(intent, "this"), client=client)
    except Exception:
        logger.exception("assistant: a pick-list answer failed")
        reply = Reply(APOLOGY, "error")
    post(deps, client, turn, reply, question=turn.text)
    return reply


def record_feedback(
    deps: Deps, *, user: str, channel: str, message_ts: str, value: str, click_id: str
) -> bool:
    """A thumbs up / down on an answer: into the override log with the question, once per click."""
    now = deps.clock.now()
    with transaction(deps.session_factory) as session:
        if not store.claim_event(session, key=f"feedback:{click_id}", actor=user, now=now):
            return False
        answer = store.answer_posted_at(session, channel=channel, message_ts=message_ts)
        question = answer.question if answer else "(an answer Tandem has no record of)"
        store.record_feedback(session, actor=user, positive=value == "up", question=question,
                              account_id=answer.account_id if answer else None, now=now)  # fmt: skip
    return True


def suggest_prompts(client: WebClient, *, channel: str) -> None:
    """The Messages tab opened: suggested prompts (agent_view: no thread_ts, or the call fails)."""
    try:
        client.assistant_threads_setSuggestedPrompts(channel_id=channel, prompts=list(PROMPTS))
    except Exception as error:  # a workspace without the agent surface: nothing to suggest
        logger.info("assistant: no suggested prompts in %s (%s)", channel, error)


def post(deps: Deps, client: WebClient, turn: Turn, reply: Reply, *, question: str) -> str | None:
    """Store the answer, owe it in the asker's thread (bot.workflows.assistant_delivery) and
    deliver it now; returns its ts once posted (None: Slack refused it for now, it is retried)."""
    text, blocks = answer_message(reply)
    with transaction(deps.session_factory) as session:
        answer_id = store.record_answer(
            session, requester=turn.requester, channel=turn.channel, thread_ts=turn.thread_ts, question=question[:4000],
            intent=reply.intent, account_id=reply.account_id, answer=reply.text, sources=list(reply.sources),
            via=reply.via, prompt_tokens=reply.prompt_tokens, completion_tokens=reply.completion_tokens,
            cost_usd=reply.cost_usd, created_at=deps.clock.now(), message_ts=None,
        )  # fmt: skip
        key = answer_key(answer_id, reply.action_id)
        deliveries.owe(session, rows=[{"key": key, "kind": DeliveryKind.ASSISTANT_ANSWER.value,
                                       "recipient": turn.channel, "text": text, "blocks": blocks}],
                       now=deps.clock.now())  # fmt: skip
        store.remember(
            session, channel=turn.channel, thread_ts=turn.thread_ts, requester=turn.requester, now=deps.clock.now(),
            turns=[{"role": "user", "text": question[:2000]}, {"role": "assistant", "text": reply.text[:2000]}],
            account_id=reply.account_id or turn.account_id, card_id=turn.card_id,
        )  # fmt: skip
    deliver_answers(deps, key=key)
    with deps.session_factory() as session:
        return store.answer_ts(session, answer_id=answer_id)


def _turn(deps: Deps, message: Incoming) -> tuple[Turn, list[dict[str, str]]]:
    """The turn with its thread's context: a card's thread gives its card and account; an earlier
    conversation in the thread gives the account it was about, and its turns."""
    card_id: int | None = None
    account_id: str | None = None
    history: list[dict[str, str]] = []
    with deps.session_factory() as session:
        if message.thread_ts != message.ts:
            card = store.card_posted_at(session, channel=message.channel, message_ts=message.thread_ts)
            if card is None:
                delivery = posted_at(session, channel_id=message.channel, message_ts=message.thread_ts)
                if delivery is not None and delivery.card_id is not None:
                    card = get_card(session, card_id=delivery.card_id)
            if card is not None:
                card_id, account_id = card.id, card.account_id
        talk = store.conversation(
            session, channel=message.channel, thread_ts=message.thread_ts, now=deps.clock.now()
        )
        if talk is not None:
            account_id = account_id or talk.account_id
            card_id = card_id if card_id is not None else talk.card_id
            history = [{"role": str(t.get("role")), "text": str(t.get("text"))} for t in talk.turns or []]
    turn = Turn(message.user, message.channel, message.thread_ts, message.ts, message.text,
                card_id=card_id, account_id=account_id)  # fmt: skip
    return turn, history


def _set_status(client: WebClient, message: Incoming) -> None:
    try:
        client.assistant_threads_setStatus(
            channel_id=message.channel, thread_ts=message.thread_ts, status=STATUS, loading_messages=LOADING
        )
    except Exception as error:  # not every workspace has the agent surface; the answer still comes
        logger.debug("assistant: no status in %s (%s)", message.channel, error)
