"""Dismissing a false alarm: a named reason, once, by the right people, logged for ops."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.ids import CardBlock, CardMenu, DismissModal
from bot.workflows.card_posting import post_owed_cards
from storage.models import EscalationCard, OutboxMessage, OverrideRecord
from tests.conftest import Database
from tests.integration.slack_env import SlackEnv, slack_env
from tests.support import factories
from tests.support.factories import OTHER_CSM, OWNER
from tests.support.waiting import wait_for


@pytest.fixture
def env(db: Database) -> Iterator[SlackEnv]:
    with slack_env(db) as environment:
        yield environment


def _posted(env: SlackEnv) -> tuple[int, str, str]:
    setup = factories.add_card(env.db.session_factory)
    assert post_owed_cards(env.deps, card_id=setup.card_id).delivered == 1
    card = env.card(setup.card_id)
    assert card.channel_id and card.message_ts
    return setup.card_id, card.channel_id, card.message_ts


def _choose_dismiss(env: SlackEnv, card_id: int, channel: str, ts: str, user: str = OWNER) -> int:
    return env.slack.block_action(
        CardMenu.MORE, f"{CardMenu.DISMISS}:{card_id}", user_id=user, channel_id=channel, message_ts=ts,
        response_url=env.api.response_url(f"menu-{user}"), block_id=CardBlock.WHY, overflow=True,
    ).status  # fmt: skip


def _submit(
    env: SlackEnv, card_id: int, reason: str | None, note: str = "", user: str = OWNER
) -> dict[str, object]:
    selected = (
        {"selected_option": {"value": reason, "text": {"type": "plain_text", "text": "x"}}} if reason else {}
    )
    values = {
        DismissModal.REASON_BLOCK: {DismissModal.REASON_INPUT: {"type": "static_select", **selected}},
        DismissModal.NOTE_BLOCK: {DismissModal.NOTE_INPUT: {"type": "plain_text_input", "value": note}},
    }
    reply = env.slack.view_submission(
        DismissModal.CALLBACK, private_metadata=str(card_id), values=values, user_id=user
    )
    assert reply.status == 200
    return reply.json() if reply.body else {}


def test_the_card_offers_dismiss_beside_the_why(env: SlackEnv) -> None:
    card_id, _, _ = _posted(env)
    posted = env.api.calls_to("chat.postMessage")[-1].body
    why = next(b for b in posted["blocks"] if b.get("block_id") == CardBlock.WHY)
    assert why["accessory"]["type"] == "overflow"
    assert why["accessory"]["options"][0]["value"] == f"dismiss:{card_id}"


def test_dismiss_with_a_reason_closes_the_card_and_logs_why(env: SlackEnv) -> None:
    card_id, channel, ts = _posted(env)
    assert _choose_dismiss(env, card_id, channel, ts) == 200
    modal = wait_for(lambda: env.api.calls_to("views.open"))[0].body["view"]
    assert modal["callback_id"] == DismissModal.CALLBACK and modal["private_metadata"] == str(card_id)
    assert {o["value"] for o in modal["blocks"][0]["element"]["options"]} == {
        "false_positive", "known_context", "already_handled", "wrong_timing",
    }  # fmt: skip

    assert _submit(env, card_id, "known_context", note="They told us about the migration last week.") == {}
    update = wait_for(lambda: env.api.calls_to("chat.update"))[0].body
    assert "Dismissed by <@U0CSM001>" in str(update["blocks"]) and "known context" in str(update["blocks"])
    assert not any(b["type"] == "actions" for b in update["blocks"])
    with env.db.session_factory() as session:
        card = session.get(EscalationCard, card_id)
        record = session.scalars(select(OverrideRecord)).one()
        queued = list(session.scalars(select(OutboxMessage)))
    assert card is not None and (card.state, card.dismiss_reason) == ("dismissed", "known_context")
    assert (
        record.action == "dismissed"
        and record.reason == "Known context: They told us about the migration last week."
    )
    assert queued == []  # nothing is sent for a dismissed card


def test_a_reason_is_required(env: SlackEnv) -> None:
    card_id, _, _ = _posted(env)
    answer = _submit(env, card_id, None)
    assert answer["response_action"] == "errors" and DismissModal.REASON_BLOCK in answer["errors"]  # type: ignore[operator]
    with env.db.session_factory() as session:
        card = session.get(EscalationCard, card_id)
        assert card is not None and card.state == "pending"


def test_only_the_right_people_may_dismiss_and_only_once(env: SlackEnv) -> None:
    card_id, channel, ts = _posted(env)
    _choose_dismiss(env, card_id, channel, ts, user=OTHER_CSM)
    refused = wait_for(lambda: env.api.calls_to("response_url"))[0].body
    assert "Only the account's CSM" in str(refused["text"]) and env.api.calls_to("views.open") == []
    assert _submit(env, card_id, "false_positive", user=OTHER_CSM)["response_action"] == "errors"

    assert _submit(env, card_id, "false_positive") == {}
    second = _submit(env, card_id, "wrong_timing")
    assert "Already handled: dismissed by <@U0CSM001>" in str(second["errors"])
    with env.db.session_factory() as session:
        assert len(list(session.scalars(select(OverrideRecord)))) == 1
