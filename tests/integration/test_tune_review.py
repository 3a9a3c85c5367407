"""`tune review --quarter`: the quarter's touches from storage, their impact, and the message to ops
and managers (posted once each), on both backends."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.tuning import mix_review
from bot.workflows import card_decisions
from bot.workflows.refused import Refused
from scoring.types import Decision, Reason, Route, Signal, TriggerKey
from storage.db import transaction
from storage.models import EngagementEvent, HealthSnapshot, RenewalOutcome
from storage.repositories import outbox, signals
from tests.conftest import Database
from tests.integration.conftest import Run
from tests.integration.slack_env import SlackEnv, slack_env
from tests.support import factories
from tests.support.factories import MANAGER, OPS, OTHER_MANAGER, OWNER

SENT = datetime(2026, 2, 2, 10, tzinfo=UTC)


@pytest.fixture
def env(db: Database) -> Iterator[SlackEnv]:
    with slack_env(db) as environment:
        yield environment


def _an_automated_touch_that_was_answered(env: SlackEnv) -> None:
    with transaction(env.db.session_factory) as session:
        decision = Decision(Signal("ACC-1", TriggerKey.HEALTH_LOW, "Health red"), Route.AUTO,
                            (Reason("matrix_low_value_low_complexity", "Full automation."),))  # fmt: skip
        signal, _ = signals.record_signal(
            session, decision=decision, as_of=SENT.date(), now=SENT, config_version=1
        )
        message = outbox.enqueue(
            session, idempotency_key="signal:auto", account_id="ACC-1", card_id=None, channel="record",
            recipient="account:ACC-1", subject="Checking in", body="Hi", send_after=SENT, now=SENT,
            signal_id=signal.id,
        )  # fmt: skip
        message.state, message.sent_at = "sent", SENT
        session.add(EngagementEvent(account_id="ACC-1", at=SENT + timedelta(days=3), kind="outreach_replied"))
        for day, score in ((SENT.date(), 50), (SENT.date() + timedelta(days=30), 41)):
            session.add(HealthSnapshot(account_id="ACC-1", as_of=day, score=score, band="red", confidence=1.0,
                                       factors={}, explanation=""))  # fmt: skip
        session.add(RenewalOutcome(account_id="ACC-1", renewal_date=date(2026, 4, 15), outcome="churned"))


def test_the_review_counts_touches_per_route_with_what_followed_and_posts_once(env: SlackEnv) -> None:
    _an_automated_touch_that_was_answered(env)
    card = factories.add_card(env.db.session_factory)  # an assist card, approved on 2 March
    assert not isinstance(card_decisions.approve(env.deps, card_id=card.card_id, actor=OWNER), Refused)
    out = io.StringIO()
    assert (
        mix_review.run(env.deps, quarter="2026Q1", as_of=date(2026, 5, 1), fmt="json", post=True, out=out)
        == 0
    )
    body = json.loads(out.getvalue().split("\nposted")[0])
    rows = {row["route"]: row for row in body["rows"]}
    assert body["quarter"] == "2026Q1" and set(rows) == {"auto", "assist"}
    auto = rows["auto"]
    assert (auto["segment"], auto["touches"], auto["share"], auto["reply_rate"]) == (
        "mid_market",
        1,
        0.5,
        1.0,
    )
    assert (auto["health_change_30d"], auto["churned"]) == (-9.0, 1)
    assert rows["assist"]["sent"] == 1

    dms = {channel for (channel, _), _body in env.api.messages.items()}
    assert {"D" + who[1:] for who in (OPS, MANAGER, OTHER_MANAGER)} <= dms
    assert "D" + OWNER[1:] not in dms  # a CSM gets no quarterly review
    before = len(env.api.calls_to("chat.postMessage"))
    mix_review.run(
        env.deps, quarter="2026Q1", as_of=date(2026, 5, 1), fmt="table", post=True, out=io.StringIO()
    )
    assert len(env.api.calls_to("chat.postMessage")) == before  # once per quarter and person


def test_a_quarter_that_is_not_one_is_refused_by_name(env: SlackEnv) -> None:
    out = io.StringIO()
    assert (
        mix_review.run(env.deps, quarter="Q5", as_of=date(2026, 5, 1), fmt="table", post=False, out=out) == 2
    )
    assert "2026Q3" in out.getvalue()
    out = io.StringIO()
    assert (
        mix_review.run(env.deps, quarter=None, as_of=date(2026, 5, 1), fmt="table", post=False, out=out) == 0
    )
    assert "2026Q1" in out.getvalue() and "no touches" in out.getvalue()


def test_tune_review_from_the_command_line(cli: Run) -> None:
    code, out = cli("tune", "review", "--quarter", "2026Q1", "--format", "json")
    assert code == 0 and json.loads(out)["quarter"] == "2026Q1"
    code, out = cli("tune", "review", "--quarter", "next")
    assert code == 2 and "2026Q3" in out
