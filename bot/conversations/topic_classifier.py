"""The optional LLM topic classifier: customer messages from linked channels, several per
call, labelled with the configured topics; it may only add topics to what the keywords found.

It runs only when an LLM is configured AND `TANDEM_LLM_READS_CONVERSATIONS=true`; otherwise no
conversation text goes anywhere. Answers are cached by the text's sha256 and the model (a text
seen before costs nothing), and the calls stop at `TANDEM_CONVERSATION_LLM_DAILY_TOKENS` a day
(UTC), counted from the cache. Every message is fenced as data in the prompt
(prompts.conversation_topics); an answer that is not the JSON asked for is logged (never the
text) and ignored: the keyword topics stay.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING

from bot.assistant.llm import llm_client
from bot.deps import Deps
from prompts.conversation_topics import TopicAnswer, added_topics, topic_prompt
from scoring.config import Conversations
from storage.db import transaction
from storage.repositories import conversation_topics

if TYPE_CHECKING:
    from prompts.llm_client import LLMClient

logger = logging.getLogger(__name__)
BATCH = 20  # messages per call
MAX_MESSAGES = 5_000  # per run, newest first


@dataclass
class ClassifierRun:
    calls: int = 0
    classified: int = 0  # messages the model labelled now
    from_cache: int = 0
    changed: int = 0  # messages that gained a topic
    tokens: int = 0
    skipped: str | None = None  # why it did not run, or stopped early
    bad_answers: list[str] = field(default_factory=list)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def classify_topics(deps: Deps, *, rules: Conversations, client: LLMClient | None = None) -> ClassifierRun:
    """Label the window's customer messages that the cache does not know yet, within today's budget."""
    run = ClassifierRun()
    if not deps.settings.llm_reads_conversations:
        run.skipped = "TANDEM_LLM_READS_CONVERSATIONS is off"
        return run
    from prompts.llm_client import LLMError  # the openai client loads only when the classifier runs

    client = client or llm_client(deps)
    if client is None:
        run.skipped = "no LLM configured"
        return run
    now = deps.clock.now()
    day_start = datetime.combine(now.astimezone(UTC).date(), time.min, tzinfo=UTC)
    with deps.session_factory() as session:
        rows = conversation_topics.texts_to_classify(
            session, since=now - timedelta(days=rules.window_days), limit=MAX_MESSAGES
        )
        hashes = {message_id: text_hash(text) for message_id, text, _ in rows}
        known = conversation_topics.cached(session, hashes=set(hashes.values()), model=client.model)
        spent = conversation_topics.tokens_spent_since(session, since=day_start)
    allowed = list(rules.topics)
    texts_by_hash: dict[str, str] = {}
    ids_by_hash: dict[str, list[int]] = {}
    for message_id, text, _ in rows:
        texts_by_hash.setdefault(hashes[message_id], text)
        ids_by_hash.setdefault(hashes[message_id], []).append(message_id)
    answered: dict[str, list[str]] = {h: [t for t in topics if t in allowed] for h, topics in known.items()}
    run.from_cache = sum(len(ids_by_hash[h]) for h in answered if h in ids_by_hash)
    pending = [h for h in texts_by_hash if h not in answered]
    budget = deps.settings.conversation_llm_daily_tokens
    for first in range(0, len(pending), BATCH):
        batch = pending[first : first + BATCH]
        keys = {f"m{k + 1}": text_hash_ for k, text_hash_ in enumerate(batch)}
        prompt = topic_prompt([(key, texts_by_hash[h]) for key, h in keys.items()], rules.topics)
        if spent + run.tokens + prompt.estimated_tokens > budget:
            run.skipped = f"the daily token budget ({budget:,}) is spent; the rest waits for tomorrow"
            break
        run.calls += 1
        try:
            completion = client.complete(prompt, TopicAnswer)
        except LLMError as error:
            run.tokens += error.usage.prompt_tokens + error.usage.completion_tokens
            run.bad_answers.append(error.reason)
            logger.warning(
                "topic classifier: the model's answer was ignored (%s); keyword topics stay for %d messages",
                error.reason, len(batch),
            )  # fmt: skip
            continue
        used = completion.usage.prompt_tokens + completion.usage.completion_tokens
        run.tokens += used
        found = {
            keys[key]: list(topics)
            for key, topics in added_topics(completion.value, ids=list(keys), allowed=allowed).items()
        }
        with transaction(deps.session_factory) as session:
            conversation_topics.remember(
                session,
                model=client.model,
                answers=found,
                tokens=dict.fromkeys(found, used // len(batch)),
                now=now,
            )
        answered.update(found)
        run.classified += sum(len(ids_by_hash[h]) for h in found)
    updates = {
        message_id: topics
        for h, topics in answered.items()
        if topics
        for message_id in ids_by_hash.get(h, [])
    }
    if updates:
        with transaction(deps.session_factory) as session:
            run.changed = conversation_topics.add_topics(session, topics_by_message=updates)
    return run
