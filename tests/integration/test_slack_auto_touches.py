"""Full automation: a queued touch waits in the digest with Cancel, then is sent, logged either way."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.ids import AutoTouchAction
from bot.outreach import deliver_due
from bot.workflows.digest import post_digests
from scoring.types import Decision, Reason, Route, Signal, TriggerKey
from storage.db import transaction
from storage.models import OutboxMessage, OverrideRecord
from storage.repositories import outbox, signals
from tests.conftest import Database
from tests.integration.slack_env import SlackEnv, slack_env
from tests.support import factories
from tests.support.factories import OTHER_CSM, OWNER
from tests.support.waiting import wait_for


@pytest.fixture
def env(db: Database) -> Iterator[SlackEnv]:
    with slack_env(db) as environment:
        yield environment


def _queue_touch(env: SlackEnv) -> int:
    now = factories.NOW
    with transaction(env.db.session_factory) as session:
        decision = Decision(
            Signal("ACC-1", TriggerKey.HEALTH_LOW, "Health Red (48)"),
            Route.AUTO,
            (Reason("matrix_low_value_low_complexity", "Full automation: SMB account, low complexity."),),
        )
        signal, _ = signals.record_signal(
            session, decision=decision, as_of=factories.AS_OF, now=now, config_version=1
        )
        message = outbox.enqueue(
            session, idempotency_key=f"signal:{signal.id}:auto", account_id="ACC-1", card_id=None,
            channel="record", recipient="account:ACC-1", subject="Checking in on Acme Corp",
            body="Hi there, checking in.", send_after=now + timedelta(hours=2), now=now, signal_id=signal.id,
        )  # fmt: skip
        return message.id


def _cancel_button(env: SlackEnv) -> dict[str, object]:
    post_digests(env.deps, only_user=OWNER)
    digest = env.api.calls_to("chat.postMessage")[-1].body
    accessories = [b["accessory"] for b in digest["blocks"] if b.get("accessory")]
    assert len(accessories) == 1
    return accessories[0]


def _click_cancel(env: SlackEnv, outbox_id: int, user: str, hook: str) -> dict[str, object]:
    env.slack.block_action(
        AutoTouchAction.CANCEL, str(outbox_id), user_id=user, channel_id="D0CSM001",
        message_ts="1700000000.000001", response_url=env.api.response_url(hook),
    )  # fmt: skip
    return wait_for(lambda: [c for c in env.api.calls_to("response_url") if c.path.endswith(hook)])[0].body


def test_the_digest_offers_cancel_and_a_cancelled_touch_is_never_sent(env: SlackEnv) -> None:
    outbox_id = _queue_touch(env)
    button = _cancel_button(env)
    assert button["text"]["text"] == "Cancel" and button["value"] == str(outbox_id)  # type: ignore[index]

    reply = _click_cancel(env, outbox_id, OWNER, "first")
    assert "will not be sent" in str(reply["text"])
    again = _click_cancel(env, outbox_id, OWNER, "second")
    assert "Already cancelled" in str(again["text"])

    assert isinstance(env.deps.clock, FrozenClock)
    env.deps.clock.advance(hours=3)
    assert deliver_due(env.deps).sent == []
    with env.db.session_factory() as session:
        message = session.get(OutboxMessage, outbox_id)
        records = list(session.scalars(select(OverrideRecord)))
    assert message is not None and message.state == "cancelled"
    assert [(r.action, r.actor_slack_id, r.trigger, r.proposed_route, r.outbox_id) for r in records] == [
        ("cancelled", OWNER, "health_low", "auto", outbox_id)
    ]


def test_someone_else_cannot_cancel(env: SlackEnv) -> None:
    outbox_id = _queue_touch(env)
    reply = _click_cancel(env, outbox_id, OTHER_CSM, "intruder")
    assert "Only the account's CSM" in str(reply["text"])
    with env.db.session_factory() as session:
        message = session.get(OutboxMessage, outbox_id)
        assert message is not None and message.state == "queued"


def test_after_the_hold_window_the_touch_is_sent_and_logged(env: SlackEnv) -> None:
    outbox_id = _queue_touch(env)
    assert isinstance(env.deps.clock, FrozenClock)
    env.deps.clock.advance(hours=2)
    assert deliver_due(env.deps).sent == []  # its send time has come, but no digest has shown it
    _cancel_button(env)  # Monday 11:00 in the CSM's zone: the digest shows it with Cancel
    env.deps.clock.advance(hours=1, minutes=59)
    assert deliver_due(env.deps).sent == []  # still inside the two-hour hold window
    env.deps.clock.advance(minutes=1)
    assert deliver_due(env.deps).sent == [outbox_id]
    reply = _click_cancel(env, outbox_id, OWNER, "late")
    assert "Too late to cancel: the message is already sent" in str(reply["text"])
    with env.db.session_factory() as session:
        records = list(session.scalars(select(OverrideRecord)))
    assert [(r.action, r.actor_slack_id, r.outbox_id) for r in records] == [
        ("auto_sent", "tandem", outbox_id)
    ]
