"""Answering an audit card over signed Slack requests, on SQLite and PostgreSQL.

Worth a look / Not needed is a guarded answer like a card decision: one override-log row with
the near miss's trigger, the card's propensity beside it, the card updated in place; a second
click changes nothing and says who answered; only the owner, their manager or ops may answer.
An audit card never counts as a card waiting for a decision.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.clock import FrozenClock
from bot.ids import AuditAction, AuditBlock, CardAction
from bot.workflows.card_posting import post_owed_cards
from storage.db import transaction
from storage.models import EscalationCard, HealthSnapshot, OutboxMessage, OverrideRecord
from storage.repositories import cards, overrides
from storage.repositories.facts import load_account_facts
from tests.conftest import Database
from tests.integration.slack_env import PostedCard, SlackEnv, slack_env
from tests.support.factories import AS_OF, MANAGER, NOW, OPS, OTHER_CSM, OTHER_MANAGER, OWNER, add_account
from tests.support.waiting import wait_for

REFUSED = "Only the account's CSM, their manager or ops can decide on this card."
PROPENSITY = 0.05


@pytest.fixture
def env(db: Database) -> Iterator[SlackEnv]:
    with slack_env(db) as environment:
        yield environment


def post_audit_card(env: SlackEnv, *, account_id: str = "ACC-1", recipient: str = OWNER) -> PostedCard:
    """A near miss of health_low (63, the line is 60) drawn for this week, posted to the DM."""
    near_miss = {
        "trigger": "health_low", "value": 63, "threshold": 60, "margin": 3, "score": 63, "as_of": AS_OF.isoformat(),
        "summary": "Health 63: health_low fires below 60.", "week": "2026-W10", "rate": PROPENSITY, "pool": 1,
        "draw": 0.01, "config_version": 1,
    }  # fmt: skip
    with transaction(env.db.session_factory) as session:
        if session.get(HealthSnapshot, (account_id, AS_OF)) is None:
            session.add(HealthSnapshot(account_id=account_id, as_of=AS_OF, score=63, band="yellow", confidence=0.9,
                                       factors={}, explanation="Yellow (63): support pulls it down most"))  # fmt: skip
        cards.create_audit_cards(
            session,
            rows=[{"account_id": account_id, "recipient_slack_id": recipient, "propensity": PROPENSITY,
                   "audit_key": f"{recipient}:2026-W10", "audit": near_miss}],
            now=NOW,
        )  # fmt: skip
        card_id = session.scalars(select(EscalationCard.id).where(EscalationCard.kind == "audit")).one()
    assert post_owed_cards(env.deps, card_id=card_id).delivered == 1
    posted = env.card(card_id)
    assert posted.channel_id and posted.message_ts
    blocks = env.api.calls_to("chat.postMessage")[-1].body["blocks"]
    return PostedCard(card_id, posted.channel_id, posted.message_ts, blocks)


def answer(env: SlackEnv, action: str, card: PostedCard, *, user: str = OWNER, hook: str = "hook") -> int:
    return env.click(action, card, user=user, hook=hook, block_id=AuditBlock.ACTIONS)


def test_the_audit_card_is_posted_once_with_the_two_answers(env: SlackEnv) -> None:
    card = post_audit_card(env)
    assert post_owed_cards(env.deps).delivered == 0 and len(env.api.calls_to("chat.postMessage")) == 1
    posted = env.api.calls_to("chat.postMessage")[0].body
    assert posted["channel"] == OWNER and posted["text"].startswith(
        "Acme Corp: audit · health low nearly fired"
    )
    labels = [e["text"]["text"] for b in card.blocks if b["type"] == "actions" for e in b["elements"]]
    assert labels == ["Worth a look", "Not needed"]
    assert "Tandem would not have flagged this one. Worth a look?" in str(card.blocks)
    assert "Health 63: health_low fires below 60." in str(card.blocks)


@pytest.mark.parametrize(
    ("action", "state", "words"),
    [(AuditAction.WORTH_A_LOOK, "worth_a_look", "Worth a look, said"), (AuditAction.NOT_NEEDED, "not_needed", "Not needed, said")],
)  # fmt: skip
def test_an_answer_is_logged_with_the_cards_propensity_and_updates_the_card(
    env: SlackEnv, action: str, state: str, words: str
) -> None:
    card = post_audit_card(env)
    clock = env.deps.clock
    assert isinstance(clock, FrozenClock)
    clock.advance(minutes=30)
    assert answer(env, action, card) == 200

    update_ = wait_for(lambda: env.api.calls_to("chat.update"))[0].body
    assert (update_["channel"], update_["ts"]) == (card.channel, card.ts)
    assert not any(b["type"] == "actions" for b in update_["blocks"])
    assert (
        f"{words} <@{OWNER}> at <!date^1772443800^{{date_short_pretty}} at {{time}}|2026-03-02 09:30 UTC>"
        in str(update_["blocks"])
    )
    stored = env.card(card.card_id)
    assert (stored.state, stored.decided_by, stored.version) == (state, OWNER, 2)
    with env.db.session_factory() as session:
        record = session.scalars(select(OverrideRecord)).one()
        (logged,) = overrides.audit_answers(session)
    assert (record.card_id, record.action, record.trigger, record.proposed_route, record.actor_slack_id) == (
        card.card_id, state, "health_low", "audit", OWNER,
    )  # fmt: skip
    assert record.seconds_to_decide == 30 * 60 and record.config_version == 1 and record.proposed_draft == ""
    assert logged.record.id == record.id and logged.propensity == PROPENSITY
    assert (logged.near_miss["value"], logged.near_miss["threshold"]) == (63, 60)
    assert env.count(OutboxMessage) == 0  # nothing is sent to anyone


def test_a_second_click_changes_nothing_and_says_who_answered(env: SlackEnv) -> None:
    card = post_audit_card(env)
    answer(env, AuditAction.WORTH_A_LOOK, card)
    wait_for(lambda: env.api.calls_to("chat.update"))

    answer(env, AuditAction.NOT_NEEDED, card, user=MANAGER, hook="second")
    reply = wait_for(lambda: env.api.responses_at("second"))[0].body
    assert reply["text"].startswith(
        f"Already handled: worth a look by <@{OWNER}> at <!date^1772442000^{{date_short_pretty}} at {{time}}|2026-03-02 09:00 UTC>"
    )
    assert reply["response_type"] == "ephemeral" and reply["replace_original"] is False
    assert env.card(card.card_id).state == "worth_a_look" and env.count(OverrideRecord) == 1
    assert len(env.api.calls_to("chat.update")) == 1
    decided = {action: env.deps.metrics.registry.get_sample_value("tandem_cards_decided_total", {"action": action})
               for action in ("worth_a_look", "not_needed")}  # fmt: skip
    assert decided == {"worth_a_look": 1, "not_needed": None}  # the refused second answer counts nothing


@pytest.mark.parametrize("intruder", [OTHER_CSM, OTHER_MANAGER, "U0NOBODY"])
def test_someone_without_a_role_on_the_account_may_not_answer(env: SlackEnv, intruder: str) -> None:
    card = post_audit_card(env)
    answer(env, AuditAction.WORTH_A_LOOK, card, user=intruder, hook="intruder")
    reply = wait_for(lambda: env.api.responses_at("intruder"))[0].body
    assert reply["text"] == REFUSED and reply["response_type"] == "ephemeral"
    assert env.card(card.card_id).state == "pending" and env.count(OverrideRecord) == 0
    assert env.api.calls_to("chat.update") == []


@pytest.mark.parametrize("answerer", [MANAGER, OPS])
def test_the_owners_manager_and_ops_may_answer(env: SlackEnv, answerer: str) -> None:
    card = post_audit_card(env)
    answer(env, AuditAction.NOT_NEEDED, card, user=answerer)
    wait_for(lambda: env.card(card.card_id).state == "not_needed")
    with env.db.session_factory() as session:
        assert session.scalars(select(OverrideRecord.actor_slack_id)).one() == answerer


def test_audit_answers_only_answer_audit_cards_and_card_buttons_do_nothing_on_them(env: SlackEnv) -> None:
    fired = env.post_card()  # an escalation card: Worth a look is not an answer it takes
    answer(env, AuditAction.WORTH_A_LOOK, fired, hook="wrong-kind")
    assert (
        wait_for(lambda: env.api.responses_at("wrong-kind"))[0].body["text"] == "This card no longer exists."
    )
    assert env.card(fired.card_id).state == "pending"

    audit = post_audit_card(env, account_id="ACC-1")
    env.click(CardAction.TAKE_OVER, audit, hook="forged")  # no such button on it; a forged click
    assert wait_for(lambda: env.api.responses_at("forged"))[0].body["text"] == "This card no longer exists."
    assert env.card(audit.card_id).state == "pending" and env.count(OverrideRecord) == 0


@pytest.mark.parametrize("value", ["not-a-card", "-1x", "1" * 40])
def test_an_answer_whose_value_is_not_ours_is_a_400(env: SlackEnv, value: str) -> None:
    reply = env.slack.block_action(
        AuditAction.WORTH_A_LOOK, value, user_id=OWNER, channel_id="D1", message_ts="1.1",
        response_url=env.api.response_url("bad"), block_id=AuditBlock.ACTIONS,
    )  # fmt: skip
    assert reply.status == 400 and env.count(OverrideRecord) == 0


def test_a_pending_audit_card_is_not_a_card_waiting_for_the_guardrails(env: SlackEnv) -> None:
    audit = post_audit_card(env)
    yesterday = NOW - timedelta(days=1)
    with transaction(env.db.session_factory) as session:
        session.execute(update(EscalationCard).values(posted_at=yesterday, created_at=yesterday))
    with env.db.session_factory() as session:
        (facts,) = load_account_facts(session, as_of=AS_OF, account_ids=["ACC-1"])
        spent = cards.dm_cards_created_on(session, start=yesterday - timedelta(hours=1), end=NOW)
    assert env.card(audit.card_id).state == "pending" and env.card(audit.card_id).message_ts
    assert facts.history.waiting_card is None and spent == {}

    with transaction(env.db.session_factory) as session:
        add_account(session, "ACC-9", "Initech")
    fired = env.post_card(account_id="ACC-9")  # the same check sees a fired card from yesterday waiting
    with transaction(env.db.session_factory) as session:
        session.execute(
            update(EscalationCard).where(EscalationCard.id == fired.card_id).values(posted_at=yesterday)
        )
    with env.db.session_factory() as session:
        (facts,) = load_account_facts(session, as_of=AS_OF, account_ids=["ACC-9"])
    assert facts.history.waiting_card is not None and facts.history.waiting_card[0] == "health_low"
