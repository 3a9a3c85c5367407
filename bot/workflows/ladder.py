"""The escalation ladder: a card nobody decides climbs until someone does.

A fired card, posted, pending and awake (bot.workflows.snooze), climbs by its signal's route,
on a clock that starts when it is posted (`ladder_since`; a card back from a snooze restarts it):
- `escalate`: after `attention.escalate_manager_working_hours` of the owner's working time
  (their time zone, TANDEM_WORKING_HOURS / TANDEM_WORKING_DAYS), a copy goes to the owner's
  manager by DM (rung "manager"); after `attention.escalate_channel_hours` (calendar hours) a
  copy goes to the team's escalation channel, TANDEM_ESCALATION_CHANNEL (rung "channel"),
  naming the account and the people who did not answer. An owner without a manager climbs
  straight to the channel when that is due; without a channel the ladder stops at the manager,
  and the card and the log say so.
- `human` and `assist`: a reminder in the owner's next digest (rung "reminded",
  bot.workflows.digest), then the manager after `attention.human_manager_working_days`
  working days.
Each copy is the card itself with its buttons, so the manager or ops can decide it from there
(bot.workflows.card_messages); each climb is an override-log row (climbed_manager,
climbed_channel, reminded: never counted as decisions) and shows on every copy. Climbs are
guarded updates on the rung and clock seen, so two runs at once owe each step once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.deps import Deps
from bot.settings import Settings
from bot.workflows import card_messages, snooze
from bot.working_hours import zone_of
from scoring.config import Attention
from scoring.learning.types import Action
from storage.db import transaction
from storage.enums import Rung
from storage.repositories import attention, cards

logger = logging.getLogger(__name__)
SYSTEM_ACTOR = "tandem"


@dataclass
class LadderRun:
    woke: list[int] = field(default_factory=list)  # snoozed cards back with their owners
    to_manager: list[int] = field(default_factory=list)
    to_channel: list[int] = field(default_factory=list)
    stuck: list[int] = field(
        default_factory=list
    )  # due to climb, with nowhere to go (no manager, no channel)

    def render(self) -> str:
        return (
            f"ladder: {len(self.woke)} snoozed cards back, {len(self.to_manager)} sent to a manager, "
            f"{len(self.to_channel)} to the escalation channel, {len(self.stuck)} with nowhere to climb"
        )


@dataclass(frozen=True)
class Step:
    to: Rung
    waited: str  # "4 working hours", "24 hours", "2 working days"


def next_step(
    card: attention.Waiting, now: datetime, settings: Settings, config: Attention
) -> Step | Rung | None:
    """The climb due now, or None; `Rung.OWNER` means due but with nowhere to go (pure)."""
    zone = zone_of(card.owner_timezone)
    to_manager = card_messages.manager_due(card.ladder_since, card.route, zone, settings.hours, config)
    if card.route != "escalate":
        if card.rung not in (Rung.OWNER, Rung.REMINDED) or now < to_manager:
            return None
        days = config.human_manager_working_days
        return (
            Step(Rung.MANAGER, f"{days} working day{'s' if days != 1 else ''}")
            if card.manager
            else Rung.OWNER
        )
    to_channel = Step(Rung.CHANNEL, f"{config.escalate_channel_hours:g} hours")
    channel_due = now >= card.ladder_since + timedelta(hours=config.escalate_channel_hours)
    if card.rung == Rung.CHANNEL:
        return None  # the last rung
    if card.rung == Rung.MANAGER:  # without a channel the ladder ends here (the card says so)
        return to_channel if channel_due and settings.escalation_channel else None
    if card.manager is not None:
        hours = config.escalate_manager_working_hours
        return Step(Rung.MANAGER, f"{hours:g} working hours") if now >= to_manager else None
    if not channel_due:
        return None
    return to_channel if settings.escalation_channel else Rung.OWNER


def run_ladder(deps: Deps) -> LadderRun:
    """Wake what is due to wake, climb what is due to climb, deliver the copies and updates owed."""
    run = LadderRun(woke=snooze.wake_due(deps))
    now = deps.clock.now()
    with deps.session_factory() as session:
        config = card_messages.attention_config(session)
        waiting = attention.waiting_cards(session)
    for card in waiting:
        for _ in range(2):  # a run that was off for a day may owe two steps at once
            step = next_step(card, now, deps.settings, config)
            if step is None:
                break
            if not isinstance(step, Step):  # the card says so too (bot.workflows.card_messages)
                logger.debug(
                    "card %s (%s) is due to climb past %s but has nowhere to go: %s",
                    card.card_id,
                    card.account_name,
                    card.rung,
                    _nowhere(card),
                )
                run.stuck.append(card.card_id)
                break
            if not _climb(deps, card, step, now):
                break  # another run climbed it, or it was decided or snoozed meanwhile
            (run.to_manager if step.to == Rung.MANAGER else run.to_channel).append(card.card_id)
            card = attention.Waiting(**{**card.__dict__, "rung": step.to.value})
    card_messages.deliver_card_messages(deps)  # with any a crashed run left owed
    deps.metrics.ladder_ran(run)
    return run


def _nowhere(card: attention.Waiting) -> str:
    if card.manager is None and card.route != "escalate":
        return "the owner has no manager in Tandem"
    return "TANDEM_ESCALATION_CHANNEL is not set" + ("" if card.manager else " and the owner has no manager")


def _climb(deps: Deps, card: attention.Waiting, step: Step, now: datetime) -> bool:
    settings = deps.settings
    with transaction(deps.session_factory) as session:
        if not attention.climb(
            session,
            card_id=card.card_id,
            from_rung=card.rung,
            to_rung=step.to,
            ladder_since=card.ladder_since,
            now=now,
        ):
            return False
        row = cards.get_card(session, card_id=card.card_id)
        assert row is not None
        owner = f"<@{card.owner}>"
        if step.to == Rung.MANAGER:
            assert card.manager is not None
            action, recipient = Action.CLIMBED_MANAGER, card.manager
            note = (
                f"⏫ *{card.account_name}*: {owner} has not answered this card in {step.waited}, "
                "so it comes to you. You can decide it here."
            )
            if card.route == "escalate" and not settings.escalation_channel:
                logger.warning(
                    "card %s reached the manager; TANDEM_ESCALATION_CHANNEL is not set, so it "
                    "climbs no further",
                    card.card_id,
                )
        else:
            assert settings.escalation_channel is not None
            action, recipient = Action.CLIMBED_CHANNEL, settings.escalation_channel
            silent = " or ".join(f"<@{p}>" for p in (card.owner, card.manager) if p)
            note = (
                f"🚨 *{card.account_name}* has waited {step.waited} with no answer from {silent}. "
                "Its manager or ops can decide it here."
            )
        card_messages.log_step(
            session,
            card_id=card.card_id,
            action=action.value,
            actor=SYSTEM_ACTOR,
            now=now,
            reason=f"unanswered for {step.waited}",
        )
        card_messages.owe_updates(session, card_id=card.card_id, now=now)  # the copies already out
        card_messages.owe_copy(
            session,
            card=row,
            key=f"card-copy:{row.id}:{step.to.value}:{row.snooze_count}",
            recipient=recipient,
            note=note,
            now=now,
        )
    logger.info(
        "card %s (%s) climbed to %s after %s", card.card_id, card.account_name, step.to.value, step.waited
    )
    return True
