"""A snooze over whole daily cycles on a seeded book: a card snoozed "until it gets worse" sleeps
through a cycle that finds the account unchanged (and no second card is made for it), then comes
back to its owner, marked as a snoozed card coming back, in the very cycle that finds the
account 8 or more points worse."""

from __future__ import annotations

from datetime import timedelta

from bot.workflows.snooze import Snoozed, snooze_card
from storage.enums import SnoozeMode
from tests.integration.seeded_env import AS_OF, Story
from tests.integration.test_exception_cycle import OWNER, _cards, _cycle, _plant, _score, _worse


def test_a_card_snoozed_until_worse_comes_back_in_the_cycle_that_finds_it_worse(story: Story) -> None:
    _plant(story)
    _cycle(story, AS_OF)
    (card,) = _cards(story)
    assert card.message_ts, "the health_low card went to its owner's DM"
    story.clock.advance(hours=1)
    snoozed = snooze_card(story.deps, card_id=card.id, actor=OWNER, mode=SnoozeMode.UNTIL_WORSE.value)
    assert isinstance(snoozed, Snoozed) and not snoozed.already
    baseline = _score(story, AS_OF)

    quiet_day = AS_OF + timedelta(days=1)
    _cycle(story, quiet_day)  # the same account, the same score: it sleeps on
    assert _score(story, quiet_day) > baseline - 8
    (still,) = _cards(story)
    assert still.snooze_mode == SnoozeMode.UNTIL_WORSE.value and still.snooze_count == 0
    coming_back = [m for m in story.dms_to(OWNER) if "coming back" in str(m.get("blocks", "")).lower()]
    assert coming_back == []

    worse_day = AS_OF + timedelta(days=2)
    _worse(story, worse_day)
    _cycle(story, worse_day)
    assert _score(story, worse_day) <= baseline - 8
    (woke,) = _cards(story)  # the same card comes back, no new one
    assert woke.snooze_mode is None and woke.snooze_count == 1 and woke.rung == "owner"
    coming_back = [m for m in story.dms_to(OWNER) if "coming back" in str(m.get("blocks", "")).lower()]
    assert len(coming_back) == 1
