"""A card reaches Slack exactly once: two cycles at once, two Open card clicks at once, a crash
between the post and its record, a terminal preview before the real run. On both backends,
through the Web API stand-in (which keeps what was posted, with its metadata, as Slack would)."""

from __future__ import annotations

import contextlib
import io
import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot import commands
from bot.deps import Deps
from bot.ids import CardBlock
from bot.posting import MessageTag, PostedMessage, TerminalPoster
from bot.workflows.card_decisions import take_over
from bot.workflows.card_posting import post_owed_cards
from bot.workflows.cycle import run_cycle
from bot.workflows.deferred_cards import Opened, open_deferred_card
from storage.models import EscalationCard, SlackDelivery
from storage.repositories.facts import load_account_facts
from tests.integration.seeded_env import AS_OF, OPS, Story, card_budget_of_one


def _card_posts(story: Story) -> Counter[str]:
    """How many times each card (by its account, in its recipient's DM) reached the stand-in."""
    posted: Counter[str] = Counter()
    for call in story.api.calls_to("chat.postMessage"):
        blocks = call.body.get("blocks") or []
        if any(block.get("block_id") == CardBlock.WHY for block in blocks):
            fields = next(b for b in blocks if b.get("type") == "section" and b.get("fields"))
            posted[f"{call.body['channel']}|{fields['fields'][0]['text']}"] += 1
    return posted


def _cards(story: Story) -> list[EscalationCard]:
    with story.db.session_factory() as session:
        return list(session.scalars(select(EscalationCard).order_by(EscalationCard.id)))


def _at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released together; returns their results (re-raises a failure)."""
    start = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], Any]) -> None:
        start.wait()
        try:
            results[index] = call()
        except BaseException as error:  # surfaced below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    if errors:
        raise errors[0]
    return results


def test_two_cycle_commands_at_once_post_each_card_once(story: Story) -> None:
    outputs = [io.StringIO(), io.StringIO()]
    codes = _at_once(*(lambda out=out: commands.cycle(story.deps, as_of=AS_OF, out=out) for out in outputs))
    if story.db.backend == "postgres":  # the scheduler's lock: the second command waits its turn
        assert sorted(codes) == [0, 1]
        assert any("another cycle is running" in out.getvalue() for out in outputs)
    dm_cards = [card for card in _cards(story) if card.delivery == "dm"]
    posts = _card_posts(story)
    assert len(dm_cards) > 5 and all(card.message_ts for card in dm_cards)
    assert sum(posts.values()) == len(dm_cards) and max(posts.values()) == 1
    run_cycle(story.deps, as_of=AS_OF)  # a third run of the day posts nothing more
    assert sum(_card_posts(story).values()) == len(dm_cards)


def test_two_posting_runs_at_once_post_each_card_once(story: Story) -> None:
    """What the lock cannot cover: the scheduler's sweep and a cycle's posting step overlap."""
    preview = Deps(**{**story.deps.__dict__, "poster": TerminalPoster(out=io.StringIO())})
    run_cycle(preview, as_of=AS_OF)  # every card written, none posted yet
    owed = [card for card in _cards(story) if card.delivery == "dm"]
    _at_once(lambda: post_owed_cards(story.deps), lambda: post_owed_cards(story.deps))
    posts = _card_posts(story)
    assert len(owed) > 5 and sum(posts.values()) == len(owed) and max(posts.values()) == 1
    assert all(card.message_ts for card in _cards(story) if card.delivery == "dm")


def test_two_open_card_clicks_at_once_post_the_card_once(story: Story) -> None:
    card_budget_of_one(story)
    story.cycle()
    card = next(c for c in _cards(story) if c.delivery == "digest" and c.message_ts is None)
    before = sum(_card_posts(story).values())
    outcomes = _at_once(
        *(lambda: open_deferred_card(story.deps, card_id=card.id, actor=card.recipient_slack_id),) * 2
    )
    assert sum(isinstance(outcome, Opened) for outcome in outcomes) == 1
    assert sum(_card_posts(story).values()) == before + 1
    with story.db.session_factory() as session:
        opened = session.get(EscalationCard, card.id)
        assert opened is not None and opened.message_ts and opened.delivery == "dm"


class _CrashAfterPosting:
    """A poster whose process dies (SIGKILL-like: nothing below it runs) right after Slack took
    the message and before Tandem could record it."""

    is_preview = False

    def __init__(self, inner: Any, crash_on: int) -> None:
        self.inner, self.crash_on, self.posts = inner, crash_on, 0

    def post(self, **kwargs: Any) -> PostedMessage:
        posted: PostedMessage = self.inner.post(**kwargs)
        self.posts += 1
        if self.posts == self.crash_on:
            raise SystemExit("killed")
        return posted

    def update(self, **kwargs: Any) -> None:
        self.inner.update(**kwargs)

    def find_posted(
        self, *, channel: str, tag: MessageTag, since: Any, thread_ts: str | None = None
    ) -> PostedMessage | None:
        found: PostedMessage | None = self.inner.find_posted(
            channel=channel, tag=tag, since=since, thread_ts=thread_ts
        )
        return found


def test_a_crash_between_the_post_and_its_record_never_posts_the_card_again(story: Story) -> None:
    real = story.deps.poster
    crashing = Deps(**{**story.deps.__dict__, "poster": _CrashAfterPosting(real, crash_on=3)})
    with contextlib.suppress(SystemExit):  # the process "died" mid-post
        run_cycle(crashing, as_of=AS_OF)
    lost = [card for card in _cards(story) if card.delivery == "dm" and card.message_ts is None]
    assert lost, "the crash left cards Tandem did not know it had posted"

    # Restarted after the claim went stale: the sweep finds the lost card in the DM's history.
    story.clock.advance(seconds=story.deps.settings.delivery.stale_claim_seconds + 1)
    post_owed_cards(story.deps)
    dm_cards = [card for card in _cards(story) if card.delivery == "dm"]
    assert all(card.message_ts for card in dm_cards)
    posts = _card_posts(story)
    assert sum(posts.values()) == len(dm_cards) and max(posts.values()) == 1
    tagged = story.api.posts_tagged()
    assert tagged and max(tagged.values()) == 1

    # The copy that was found is the one a decision updates.
    with story.db.session_factory() as session:
        adopted = session.scalars(
            select(SlackDelivery).where(SlackDelivery.attempts == 2, SlackDelivery.kind == "card")
        ).all()
    assert adopted
    card = next(c for c in dm_cards if c.id == adopted[0].card_id)
    outcome = take_over(story.deps, card_id=card.id, actor=card.recipient_slack_id)
    assert getattr(outcome, "message_ts", None) == card.message_ts == adopted[0].message_ts
    assert (card.channel_id, card.message_ts) in story.api.messages


def test_a_terminal_preview_leaves_every_card_for_the_real_run(story: Story) -> None:
    preview = Deps(**{**story.deps.__dict__, "poster": TerminalPoster(out=io.StringIO())})
    run_cycle(preview, as_of=AS_OF)
    previewed = [card for card in _cards(story) if card.delivery == "dm"]
    assert previewed and all(card.message_ts is None for card in previewed)
    assert story.api.calls_to("chat.postMessage") == []
    with story.db.session_factory() as session:
        facts = load_account_facts(session, as_of=AS_OF + timedelta(days=1),
                                   account_ids=[card.account_id for card in previewed])  # fmt: skip
    # Nothing previewed counts as a card waiting in Slack: the next day's guardrails don't hold for it.
    assert all(account.history.waiting_card is None for account in facts)

    run_cycle(story.deps, as_of=AS_OF)  # the same day, now with Slack: every previewed card goes out
    posted = _cards(story)
    assert all(card.message_ts for card in posted if card.delivery == "dm")
    assert sum(_card_posts(story).values()) == len(previewed)
    assert not any(card.message_ts and not card.message_ts[0].isdigit() for card in posted)


def test_a_decided_card_is_never_posted_late(story: Story) -> None:
    preview = Deps(**{**story.deps.__dict__, "poster": TerminalPoster(out=io.StringIO())})
    run_cycle(preview, as_of=AS_OF)
    card = next(card for card in _cards(story) if card.delivery == "dm")
    take_over(story.deps, card_id=card.id, actor=card.recipient_slack_id)
    post_owed_cards(story.deps)
    posts = _card_posts(story)
    assert posts and not any(f"{card.account_id} ·" in key for key in posts)


def test_a_cycle_that_could_not_post_its_cards_says_so_and_exits_non_zero(story: Story) -> None:
    from bot import scheduler
    from storage.models import SlackDelivery as Delivery

    story.api.refuse_posts_to("*", "service_unavailable", times=10_000)  # Slack is down
    out = io.StringIO()
    assert commands.cycle(story.deps, as_of=AS_OF, out=out) == 1
    text = out.getvalue()
    owed = [card for card in _cards(story) if card.delivery == "dm"]
    assert f"{len(owed)} of {len(owed)} cards could not be posted" in text

    # The scheduler's run of the next day alerts ops (the alert is owed until Slack is back).
    story.clock.advance(days=1)
    scheduler._running = story.deps
    scheduler.daily_cycle_job()
    with story.db.session_factory() as session:
        alerts = session.scalars(select(Delivery).where(Delivery.kind == "ops_alert")).all()
    assert alerts and all("finished with problems" in alert.text for alert in alerts)
    story.api.refusing.clear()
    post_owed_cards(story.deps)
    assert any("finished with problems" in str(m.get("text")) for m in story.dms_to(OPS))
