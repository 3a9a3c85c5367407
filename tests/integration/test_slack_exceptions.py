"""Account exceptions over signed Slack requests: the offer after two known-context dismissals,
its buttons, the card menu's "Quiet until it gets worse", App Home's Lift, and explain. Only
the account's CSM, their manager or ops may set or lift one; a second click changes nothing."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot import commands
from bot.blocks.slack_dates import plain_dates
from bot.clock import FrozenClock
from bot.delivery.notices import deliver_notices
from bot.ids import CardAction, CardBlock, CardMenu, DismissModal, ExceptionAction
from bot.workflows.card_posting import post_owed_cards
from storage.db import transaction
from storage.models import AccountException, EscalationCard, OverrideRecord, SlackDelivery
from tests.conftest import Database
from tests.integration.slack_env import SlackEnv, slack_env
from tests.support import factories
from tests.support.factories import AS_OF, MANAGER, NOW, OPS, OTHER_CSM, OWNER
from tests.support.waiting import wait_for

OFFER_TEXT = "Keep health_low quiet on Acme Corp?"


@pytest.fixture
def env(db: Database) -> Iterator[SlackEnv]:
    with slack_env(db) as environment:
        yield environment


def _clock(env: SlackEnv) -> FrozenClock:
    clock = env.deps.clock
    assert isinstance(clock, FrozenClock)
    return clock


def _card(
    env: SlackEnv, days_ago: int = 0, account_id: str = "ACC-1", owner: str = OWNER
) -> tuple[int, str, str]:
    """A health_low card from `days_ago`, posted to the owner's DM: (id, channel, ts)."""
    env.clock.current = NOW - timedelta(days=days_ago)
    setup = factories.add_card(
        env.db.session_factory, account_id=account_id, recipient=owner,
        as_of=AS_OF - timedelta(days=days_ago), now=NOW - timedelta(days=days_ago),
    )  # fmt: skip
    assert post_owed_cards(env.deps, card_id=setup.card_id).delivered == 1
    card = env.card(setup.card_id)
    assert card.channel_id and card.message_ts
    return setup.card_id, card.channel_id, card.message_ts


def _dismiss(env: SlackEnv, card_id: int, reason: str = "known_context", user: str = OWNER) -> dict[str, Any]:
    values = {
        DismissModal.REASON_BLOCK: {
            DismissModal.REASON_INPUT: {
                "type": "static_select",
                "selected_option": {"value": reason, "text": {"type": "plain_text", "text": "x"}},
            }
        },
        DismissModal.NOTE_BLOCK: {DismissModal.NOTE_INPUT: {"type": "plain_text_input", "value": ""}},
    }
    reply = env.slack.view_submission(
        DismissModal.CALLBACK, private_metadata=str(card_id), values=values, user_id=user
    )
    assert reply.status == 200
    return reply.json() if reply.body else {}


def _offers(env: SlackEnv) -> list[dict[str, Any]]:
    return [
        call.body
        for call in env.api.calls_to("chat.postMessage")
        if call.body.get("channel") == OWNER and str(call.body.get("text", "")).startswith(OFFER_TEXT)
    ]


def _offered(env: SlackEnv) -> tuple[int, SlackDelivery]:
    """Two known-context dismissals three weeks apart: the offer, posted. (exception id, its post)"""
    first, _, _ = _card(env, days_ago=20)
    assert _dismiss(env, first) == {}
    second, _, _ = _card(env)
    assert _dismiss(env, second) == {}
    posted = wait_for(lambda: _sent_offer(env))
    (exception,) = _exceptions(env)
    return exception.id, posted


def _sent_offer(env: SlackEnv) -> SlackDelivery | None:
    with env.db.session_factory() as session:
        row = session.scalars(select(SlackDelivery).where(SlackDelivery.kind == "exception_offer")).one()
        return row if row.message_ts else None


def _click(
    env: SlackEnv, action: str, exception_id: int, posted: SlackDelivery, user: str, hook: str
) -> None:
    assert posted.channel_id and posted.message_ts
    reply = env.slack.block_action(
        action, str(exception_id), user_id=user, channel_id=posted.channel_id, message_ts=posted.message_ts,
        response_url=env.api.response_url(hook), block_id="offer",
    )  # fmt: skip
    assert reply.status == 200


def _updates_of(env: SlackEnv, posted: SlackDelivery) -> list[dict[str, Any]]:
    """The chat.update calls on this message (the offer re-rendered)."""
    return [c.body for c in env.api.calls_to("chat.update") if c.body.get("ts") == posted.message_ts]


def _exceptions(env: SlackEnv) -> list[AccountException]:
    with env.db.session_factory() as session:
        return list(session.scalars(select(AccountException).order_by(AccountException.id)))


def _actions(env: SlackEnv) -> list[str]:
    with env.db.session_factory() as session:
        return [r.action for r in session.scalars(select(OverrideRecord).order_by(OverrideRecord.id))]


def _blocks(body: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = body["blocks"]
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


def test_a_second_known_context_dismissal_in_six_weeks_offers_an_exception_once(env: SlackEnv) -> None:
    first, _, _ = _card(env, days_ago=20)
    assert _dismiss(env, first) == {}
    assert _exceptions(env) == []  # one dismissal is not a pattern

    second, _, _ = _card(env)
    assert _dismiss(env, second) == {}
    (offer,) = wait_for(lambda: _offers(env))
    text = json.dumps(_blocks(offer))
    assert "twice (2026-02-10 and 2026-03-02)" in plain_dates(text) and "90 days" in text
    assert "falls 8 points (to 40 or lower, from 48 now)" in text
    buttons = [e["text"]["text"] for b in _blocks(offer) if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["Quiet until it gets worse", "No thanks"]

    # The same dismissal again (a retry, a double submit), and the notices delivered again: still one.
    assert "Already handled" in json.dumps(_dismiss(env, second))
    deliver_notices(env.deps)
    assert len(_offers(env)) == 1
    (exception,) = _exceptions(env)
    assert (exception.state, exception.card_id, exception.trigger) == ("offered", second, "health_low")

    # A third dismissal while the offer waits for an answer asks nothing new.
    third, _, _ = _card(env, days_ago=-1)
    assert _dismiss(env, third) == {}
    assert len(_exceptions(env)) == 1 and len(_offers(env)) == 1


@pytest.mark.parametrize("between", ["approved", "too_old", "false_positive", "someone_else"])
def test_no_offer_without_two_of_the_owners_known_context_dismissals_in_six_weeks(
    env: SlackEnv, between: str
) -> None:
    if between == "approved":  # known context, then an approval, then known context again
        first, _, _ = _card(env, days_ago=30)
        _dismiss(env, first)
        approved, channel, ts = _card(env, days_ago=20)
        hook = env.api.response_url("approve")
        env.slack.block_action(CardAction.APPROVE, str(approved), user_id=OWNER, channel_id=channel, message_ts=ts,
                               response_url=hook)  # fmt: skip
        wait_for(lambda: env.card(approved).state == "approved")
    elif between == "too_old":
        first, _, _ = _card(env, days_ago=43)
        _dismiss(env, first)
    elif between == "false_positive":
        first, _, _ = _card(env, days_ago=10)
        _dismiss(env, first, reason="false_positive")
    else:  # the owner's manager dismissed the first one
        first, _, _ = _card(env, days_ago=10)
        _dismiss(env, first, user=MANAGER)
    last, _, _ = _card(env)
    assert _dismiss(env, last) == {}
    assert _exceptions(env) == [] and _offers(env) == []


def test_accepting_the_offer_sets_it_once_and_only_for_the_accounts_people(env: SlackEnv) -> None:
    exception_id, posted = _offered(env)
    for action, hook in (
        (ExceptionAction.ACCEPT, "other-accept"),
        (ExceptionAction.DECLINE, "other-decline"),
    ):
        _click(env, action, exception_id, posted, OTHER_CSM, hook)
        refused = wait_for(lambda hook=hook: env.api.responses_at(hook))[-1].body["text"]
        assert "Only the account's CSM, their manager or ops" in refused
    assert [e.state for e in _exceptions(env)] == ["offered"]

    _click(env, ExceptionAction.ACCEPT, exception_id, posted, OWNER, "accept")
    update = wait_for(lambda: _updates_of(env, posted))[-1]
    text = json.dumps(_blocks(update))
    assert "Quiet until it gets worse: set by <@U0CSM001> on 2026-03-02" in plain_dates(text)
    assert "on <!date^" in text  # the reader's own calendar
    assert (
        "health_low stays quiet on Acme Corp until 2026-05-31 unless the score falls to 40 or lower"
        in plain_dates(text)
    )
    assert not any(b["type"] == "actions" for b in _blocks(update))
    (exception,) = _exceptions(env)
    assert (exception.state, exception.set_by, exception.baseline_score) == ("active", OWNER, 48)
    assert exception.expires_at == datetime(2026, 5, 31, 9, tzinfo=UTC)

    for action, hook in ((ExceptionAction.ACCEPT, "again"), (ExceptionAction.DECLINE, "decline-after")):
        _click(env, action, exception_id, posted, OWNER, hook)
        again = wait_for(lambda hook=hook: env.api.responses_at(hook))[-1].body["text"]
        assert again.startswith("Already handled: 🔕 Quiet until it gets worse: set by <@U0CSM001>")
    assert [e.state for e in _exceptions(env)] == ["active"]
    assert _actions(env).count("exception_set") == 1 and "exception_declined" not in _actions(env)


def test_the_owners_manager_may_decline_and_nothing_is_set(env: SlackEnv) -> None:
    exception_id, posted = _offered(env)
    _click(env, ExceptionAction.DECLINE, exception_id, posted, MANAGER, "decline")
    update = wait_for(lambda: _updates_of(env, posted))[-1]
    assert "No thanks from <@U0MGR001>: Tandem keeps flagging health_low on Acme Corp." in json.dumps(update)
    assert [(e.state, e.declined_by) for e in _exceptions(env)] == [("declined", MANAGER)]
    assert _actions(env)[-1] == "exception_declined"


def _menu(env: SlackEnv, card: tuple[int, str, str], user: str, hook: str) -> str:
    card_id, channel, ts = card
    env.slack.block_action(
        CardMenu.MORE, f"{CardMenu.QUIET}:{card_id}", user_id=user, channel_id=channel, message_ts=ts,
        response_url=env.api.response_url(hook), block_id=CardBlock.WHY, overflow=True,
    )  # fmt: skip
    return str(wait_for(lambda: env.api.responses_at(hook))[-1].body["text"])


def test_the_card_menu_quiets_the_trigger_for_the_accounts_people_only(env: SlackEnv) -> None:
    card = _card(env)
    posted = env.api.calls_to("chat.postMessage")[-1].body
    why = next(b for b in _blocks(posted) if b.get("block_id") == CardBlock.WHY)
    assert {"text": {"type": "plain_text", "text": "Quiet until it gets worse", "emoji": True},
            "value": f"quiet:{card[0]}"} in why["accessory"]["options"]  # fmt: skip

    assert "Only the account's CSM" in _menu(env, card, OTHER_CSM, "other")
    assert env.card(card[0]).state == "pending" and _exceptions(env) == []

    told = _menu(env, card, OWNER, "owner")
    assert plain_dates(told).startswith("🔕 Quiet until it gets worse: set by <@U0CSM001> on 2026-03-02")
    update = wait_for(lambda: env.api.calls_to("chat.update"))[-1].body
    assert "Dismissed by <@U0CSM001>" in json.dumps(update) and "known context" in json.dumps(update)
    (exception,) = _exceptions(env)
    assert (exception.state, exception.card_id, exception.baseline_score) == ("active", card[0], 48)
    assert _actions(env) == ["dismissed", "exception_set"]

    assert _menu(env, card, OWNER, "again").startswith("Already handled: dismissed by <@U0CSM001>")
    later = _card(env, days_ago=-1)  # a card from before it was set, still pending: nothing to add
    assert _menu(env, later, OWNER, "later").startswith("Already quiet: 🔕 Quiet until it gets worse")
    assert env.card(later[0]).state == "pending"
    assert len(_exceptions(env)) == 1 and _actions(env) == ["dismissed", "exception_set"]


def _home(env: SlackEnv, user: str) -> str:
    before = len(env.api.calls_to("views.publish"))
    body = {
        "token": "verification_token", "team_id": "T111", "api_app_id": "A111", "type": "event_callback",
        "event": {"type": "app_home_opened", "user": user, "channel": "D111", "tab": "home", "event_ts": "1.2"},
        "event_id": f"Ev-{user}-{before}", "event_time": 1599616881,
    }  # fmt: skip
    assert env.slack.post(json.dumps(body), content_type="application/json").status == 200
    published = wait_for(lambda: env.api.calls_to("views.publish")[before:])[-1].body
    view = published["view"] if isinstance(published["view"], dict) else json.loads(published["view"])
    return json.dumps(view["blocks"])


def _lift(env: SlackEnv, exception_id: int, user: str) -> str:
    before = len(env.api.calls_to("chat.postMessage"))
    env.slack.block_action(
        ExceptionAction.LIFT, str(exception_id), user_id=user, channel_id="D111", message_ts="1.1",
        response_url="", block_id="home",
    )  # fmt: skip
    said = wait_for(
        lambda: [c for c in env.api.calls_to("chat.postMessage")[before:] if c.body["channel"] == user]
    )
    return str(said[-1].body["text"])


def test_app_home_lists_active_exceptions_with_lift_for_the_people_who_may_lift_them(env: SlackEnv) -> None:
    with transaction(env.db.session_factory) as session:
        factories.add_account(session, "ACC-2", "Beta Labs", owner_slack_id=OTHER_CSM)
    _menu(env, _card(env), OWNER, "mine")
    _menu(env, _card(env, account_id="ACC-2", owner=OTHER_CSM), OTHER_CSM, "theirs")
    mine, theirs = _exceptions(env)

    owners_home = _home(env, OWNER)
    assert "Quiet until it gets worse (1 on your accounts)" in owners_home and "Acme Corp" in owners_home
    assert "Beta Labs" not in owners_home
    assert f'"action_id": "{ExceptionAction.LIFT}"' in owners_home and f'"value": "{mine.id}"' in owners_home
    ops_home = _home(env, OPS)
    assert "Quiet until it gets worse (2 on every account)" in ops_home and "Beta Labs" in ops_home

    assert "Only the account's CSM" in _lift(env, mine.id, OTHER_CSM)
    published = len(env.api.calls_to("views.publish"))
    assert plain_dates(_lift(env, mine.id, OWNER)).startswith("🔔 Lifted by <@U0CSM001> on 2026-03-02")
    republished = wait_for(lambda: env.api.calls_to("views.publish")[published:])[-1].body
    assert republished["user_id"] == OWNER and "Quiet until it gets worse (" not in json.dumps(republished)
    assert _lift(env, mine.id, OWNER).startswith("Already handled: 🔔 Lifted by <@U0CSM001>")
    assert [(e.id, e.state) for e in _exceptions(env)] == [(mine.id, "lifted"), (theirs.id, "active")]
    assert _actions(env).count("exception_lifted") == 1


def test_explain_shows_the_exception_in_force(env: SlackEnv) -> None:
    _menu(env, _card(env), OWNER, "mine")
    out = io.StringIO()
    assert commands.explain(env.deps, "Acme Corp", as_of=AS_OF, as_json=True, out=out) == 0
    (shown,) = json.loads(out.getvalue())["exceptions"]
    assert shown["state"] == "active" and shown["baseline_score"] == 48 and shown["lapses_at_or_below"] == 40
    assert shown["sentence"] == (
        "Quiet: an exception set by <@U0CSM001> on 2026-03-02 keeps health_low quiet on Acme Corp until "
        "2026-05-31 unless it gets worse (a score of 40 or lower, or another trigger firing)."
    )
    text = io.StringIO()
    commands.explain(env.deps, "Acme Corp", as_of=AS_OF, as_json=False, out=text)
    assert "Exception on health_low (active): Quiet: an exception set by <@U0CSM001>" in text.getvalue()


def test_a_lapse_keeps_its_reason_for_explain(env: SlackEnv) -> None:
    _menu(env, _card(env), OWNER, "mine")
    (exception,) = _exceptions(env)
    with transaction(env.db.session_factory) as session:
        row = session.get(AccountException, exception.id)
        assert row is not None
        row.state, row.lapse_reason, row.lapse_detail = (
            "lapsed",
            "worsened",
            "Back from quiet: the score fell.",
        )
    out = io.StringIO()
    commands.explain(env.deps, "ACC-1", as_of=AS_OF, as_json=True, out=out)
    (shown,) = json.loads(out.getvalue())["exceptions"]
    assert (shown["state"], shown["lapse_reason"], shown["sentence"]) == (
        "lapsed",
        "worsened",
        "Back from quiet: the score fell.",
    )
    with env.db.session_factory() as session:
        assert session.scalars(select(EscalationCard)).one().state == "dismissed"
