"""Each decision stores what learning needs, read at the moment it is made: decisions clicked
in Slack (signed requests into the real app) and a cancelled automated touch."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.ids import CardAction, DismissModal, EditModal
from bot.workflows.auto_touches import cancel_automated_touch
from scoring.learning.edits import edit_size
from scoring.types import Decision, Route, Signal, TriggerKey
from storage.db import transaction
from storage.models import EscalationCard, OverrideRecord
from storage.models import Signal as SignalRow
from storage.repositories import outbox, signals
from tests.conftest import Database
from tests.integration.slack_env import PostedCard, SlackEnv, slack_env
from tests.support.factories import AS_OF, DEFAULT_BODY, NOW, OWNER
from tests.support.slack_requests import SlackSender
from tests.support.waiting import wait_for

FIGURES = {"score": 48, "value": 48, "threshold": 60, "margin": 12}  # as scoring.triggers records them


@pytest.fixture
def env(db: Database) -> Iterator[SlackEnv]:
    with slack_env(db) as environment:
        yield environment


def _fired_beside(env: SlackEnv, trigger: TriggerKey) -> int:
    """Another trigger fired on the account the same day; returns its signal id."""
    with transaction(env.db.session_factory) as session:
        decision = Decision(Signal("ACC-1", trigger, "fired too", {}), Route.HOLD, ())
        row, _ = signals.record_signal(session, decision=decision, as_of=AS_OF, now=NOW, config_version=1)
        return row.id


def _card_with_figures(env: SlackEnv) -> PostedCard:
    card = env.post_card()
    with transaction(env.db.session_factory) as session:
        stored = session.get(EscalationCard, card.card_id)
        assert stored is not None
        signal = session.get(SignalRow, stored.signal_id)
        assert signal is not None
        signal.details = {**signal.details, **FIGURES}
    _fired_beside(env, TriggerKey.SENTIMENT)
    _fired_beside(env, TriggerKey.HEALTH_DROP)
    return card


def _record(env: SlackEnv) -> OverrideRecord:
    with env.db.session_factory() as session:
        return session.scalars(select(OverrideRecord)).one()


def test_an_edit_in_slack_stores_the_learning_context_and_the_size_of_the_edit(env: SlackEnv) -> None:
    card = _card_with_figures(env)
    env.clock.advance(minutes=25)
    env.click(CardAction.EDIT, card)
    view = wait_for(lambda: env.api.calls_to("views.open"))[0].body["view"]
    sent = DEFAULT_BODY.replace("would like to help", "can help this week")
    values = {EditModal.DRAFT_BLOCK: {EditModal.DRAFT_INPUT: {"type": "plain_text_input", "value": sent}}}
    reply = env.slack.view_submission(
        EditModal.CALLBACK,
        private_metadata=str(card.card_id),
        values=values,
        user_id=OWNER,
        blocks=view["blocks"],
    )
    assert reply.status == 200
    record = _record(env)
    assert (record.action, record.trigger, record.proposed_route, record.config_version) == (
        "edited", "health_low", "assist", 1,
    )  # fmt: skip
    assert (record.segment, record.cycle_day, record.propensity) == ("mid_market", AS_OF, 1.0)
    assert (record.fired_value, record.threshold, record.margin) == (48, 60, 12)
    assert record.co_firing == ["health_drop", "sentiment"]
    assert record.seconds_to_decide == 25 * 60
    assert record.edit_size == edit_size(DEFAULT_BODY, sent) and 0 < record.edit_size < 0.5
    assert record.signal_id is not None and record.reason_code is None


def test_a_dismissal_in_slack_stores_its_reason_code(env: SlackEnv) -> None:
    card = _card_with_figures(env)
    _dismiss(env.slack, card, "false_positive", note="Seasonal dip, every March.")
    record = _record(env)
    assert (record.action, record.reason_code) == ("dismissed", "false_positive")
    assert record.reason == "False positive: Seasonal dip, every March."
    assert (record.segment, record.cycle_day, record.margin, record.edit_size) == (
        "mid_market",
        AS_OF,
        12,
        None,
    )


def _dismiss(slack: SlackSender, card: PostedCard, reason: str, note: str) -> None:
    values = {
        DismissModal.REASON_BLOCK: {
            DismissModal.REASON_INPUT: {
                "type": "static_select",
                "selected_option": {"value": reason, "text": {"type": "plain_text", "text": "x"}},
            }
        },
        DismissModal.NOTE_BLOCK: {DismissModal.NOTE_INPUT: {"type": "plain_text_input", "value": note}},
    }
    reply = slack.view_submission(
        DismissModal.CALLBACK, private_metadata=str(card.card_id), values=values, user_id=OWNER
    )
    assert reply.status == 200


def test_a_cancelled_automated_touch_stores_its_signal_day_and_segment(env: SlackEnv) -> None:
    reminder = _fired_beside(env, TriggerKey.RENEWAL_REMINDER)
    _fired_beside(env, TriggerKey.EXPANSION_READY)
    with transaction(env.db.session_factory) as session:
        message = outbox.enqueue(
            session, idempotency_key=f"signal:{reminder}:auto", account_id="ACC-1", card_id=None, channel="record",
            recipient="account:ACC-1", subject="Renewal", body="Your renewal is coming up.", send_after=NOW,
            now=NOW, signal_id=reminder,
        )  # fmt: skip
        message_id = message.id
    cancel_automated_touch(env.deps, outbox_id=message_id, actor=OWNER)
    record = _record(env)
    assert (record.action, record.trigger, record.outbox_id, record.signal_id) == (
        "cancelled", "renewal_reminder", message_id, reminder,
    )  # fmt: skip
    assert (record.cycle_day, record.segment, record.propensity) == (AS_OF, "mid_market", 1.0)
    assert record.co_firing == ["expansion_ready"]
