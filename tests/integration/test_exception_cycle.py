"""An account exception over whole daily cycles on a seeded book, through the real Slack edge:
two known-context dismissals two weeks apart bring one offer (however often the cycle reruns);
once accepted, the next cycle keeps the trigger quiet; when the score worsens by 8 points the
exception lapses, the cycle records why, and the card comes back."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from bot import commands
from bot.ids import DismissModal, ExceptionAction
from bot.workflows.digest import post_digests
from storage import models
from storage.db import transaction
from storage.models import (
    AccountException,
    EscalationCard,
    HealthSnapshot,
    OverrideRecord,
    Signal,
    SlackDelivery,
)
from tests.integration.seeded_env import AS_OF, NOW, Story
from tests.support.waiting import wait_for

OWNER = "U0CSM099"  # a CSM of their own, so the card budget never sends this card to the digest
OTHER_CSM = "U0CSM001"
ACCOUNT = "ACC-QUIET"
NAME = "Quiet Harbor Labs"
OFFER_TEXT = f"Keep health_low quiet on {NAME}?"


def _plant(story: Story) -> None:
    """A mid-market account using 8 of 100 seats, day after day: health_low, every cycle, the same."""
    with transaction(story.db.session_factory) as session:
        session.add(models.User(slack_id=OWNER, name="Quinn Reyes", role="csm", manager_slack_id="U0MGR001",
                                timezone="UTC", digest_time="08:30"))  # fmt: skip
        session.flush()
        session.add(models.Account(account_id=ACCOUNT, name=NAME, segment="mid_market", arr=50_000.0,
                                   owner_slack_id=OWNER, renewal_date=AS_OF + timedelta(days=200),
                                   contact_email="ops@quietharbor.example", always_human=False))  # fmt: skip
        session.flush()
        session.add_all(
            models.UsageDaily(account_id=ACCOUNT, day=AS_OF - timedelta(days=n), active_users=8,
                              licensed_seats=100, events=80)
            for n in range(120)
        )  # fmt: skip
        opened = datetime(2025, 12, 1, 10, tzinfo=UTC)
        session.add(models.Ticket(ticket_id="T-QUIET-1", account_id=ACCOUNT, opened_at=opened,
                                  closed_at=opened + timedelta(days=1), severity="low", sentiment=0.0,
                                  subject="How do I export a report?", body="Where is the export button?"))  # fmt: skip
        session.add_all(
            models.BillingEvent(account_id=ACCOUNT, day=AS_OF - timedelta(days=5 + 30 * m), kind="invoice_paid",
                                amount=4166.67)
            for m in range(5)
        )  # fmt: skip


def _worse(story: Story, day: date) -> None:
    """Two severe tickets, closed, in calm words: the support factor falls, nothing else fires."""
    with transaction(story.db.session_factory) as session:
        for n, severity in enumerate(("urgent", "high")):
            opened = datetime.combine(day - timedelta(days=1), time(8 + n), tzinfo=UTC)
            session.add(models.Ticket(ticket_id=f"T-QUIET-W{n}", account_id=ACCOUNT, opened_at=opened,
                                      closed_at=opened + timedelta(hours=3), severity=severity, sentiment=0.0,
                                      subject="Report export fails", body="The export job stops halfway."))  # fmt: skip


def _cycle(story: Story, day: date) -> None:
    story.clock.current = datetime.combine(day, NOW.timetz())
    story.cycle()


def _signal(story: Story, day: date) -> Signal:
    with story.db.session_factory() as session:
        query = select(Signal).where(
            Signal.account_id == ACCOUNT, Signal.trigger == "health_low", Signal.as_of == day
        )
        return session.scalars(query).one()


def _score(story: Story, day: date) -> int:
    with story.db.session_factory() as session:
        snapshot = session.get(HealthSnapshot, (ACCOUNT, day))
        assert snapshot is not None
        return snapshot.score


def _cards(story: Story) -> list[EscalationCard]:
    with story.db.session_factory() as session:
        query = select(EscalationCard).where(EscalationCard.account_id == ACCOUNT).order_by(EscalationCard.id)
        return list(session.scalars(query))


def _dismiss_in_slack(story: Story, card: EscalationCard) -> None:
    """The owner dismisses the card in their DM as known context (the modal's signed submit)."""
    assert card.message_ts, "the card was posted to the owner's DM"
    story.clock.advance(hours=2)
    values = {
        DismissModal.REASON_BLOCK: {DismissModal.REASON_INPUT: {
            "type": "static_select", "selected_option": {"value": "known_context", "text": {"type": "plain_text", "text": "x"}},
        }},
        DismissModal.NOTE_BLOCK: {DismissModal.NOTE_INPUT: {"type": "plain_text_input", "value": "Seasonal team"}},
    }  # fmt: skip
    reply = story.slack.view_submission(
        DismissModal.CALLBACK, private_metadata=str(card.id), values=values, user_id=OWNER
    )
    assert reply.status == 200 and not reply.body


def _offers(story: Story) -> list[dict[str, Any]]:
    return [m for m in story.dms_to(OWNER) if str(m.get("text", "")).startswith(OFFER_TEXT)]


def _offer_post(story: Story) -> SlackDelivery | None:
    with story.db.session_factory() as session:
        rows = list(session.scalars(select(SlackDelivery).where(SlackDelivery.kind == "exception_offer")))
        return rows[0] if len(rows) == 1 and rows[0].message_ts else None


def _click(story: Story, action: str, exception_id: int, posted: SlackDelivery, user: str, hook: str) -> str:
    assert posted.channel_id and posted.message_ts
    story.slack.block_action(
        action, str(exception_id), user_id=user, channel_id=posted.channel_id, message_ts=posted.message_ts,
        response_url=story.api.response_url(hook), block_id="offer",
    )  # fmt: skip
    if user == OWNER:
        return str(
            wait_for(
                lambda: [c for c in story.api.calls_to("chat.update") if c.body["ts"] == posted.message_ts]
            )
        )
    return str(wait_for(lambda: story.api.responses_at(hook))[-1].body["text"])


def _exception(story: Story) -> AccountException:
    with story.db.session_factory() as session:
        return session.scalars(select(AccountException).where(AccountException.account_id == ACCOUNT)).one()


def test_quiet_until_it_gets_worse_over_whole_cycles(story: Story) -> None:
    _plant(story)
    first_day, second_day, quiet_day, worse_day = (AS_OF - timedelta(days=back) for back in (35, 21, 7, 0))

    # Two health_low cards two weeks apart, each dismissed as known context in Slack.
    _cycle(story, first_day)
    (first,) = _cards(story)
    _dismiss_in_slack(story, first)
    assert _offers(story) == []
    _cycle(story, second_day)
    second = _cards(story)[-1]
    assert second.id != first.id and second.state == "pending"
    _dismiss_in_slack(story, second)
    posted = wait_for(lambda: _offer_post(story))
    for _ in range(2):  # the day's cycle again (a retry, the scheduler and a person): no second offer
        _cycle(story, second_day)
    assert len(_offers(story)) == 1 and len(_cards(story)) == 2

    # Another CSM may not accept it; the owner does, and the next cycle keeps health_low quiet.
    offered = _exception(story)
    refused = _click(story, ExceptionAction.ACCEPT, offered.id, posted, OTHER_CSM, "other")
    assert "Only the account's CSM, their manager or ops" in refused and _exception(story).state == "offered"
    assert "Quiet until it gets worse: set by" in _click(
        story, ExceptionAction.ACCEPT, offered.id, posted, OWNER, ""
    )
    exception = _exception(story)
    assert (exception.state, exception.baseline_score) == ("active", _score(story, second_day))

    _cycle(story, quiet_day)  # two weeks on: health_low's cooldown is over, only the exception holds it
    held = _signal(story, quiet_day)
    assert held.route == "hold" and held.details["suppressed"] is True
    assert held.reasons["codes"][0] == "account_exception"
    assert f"keeps health_low quiet on {NAME} until" in held.reasons["sentences"][0]
    assert len(_cards(story)) == 2
    out = io.StringIO()
    commands.explain(story.deps, ACCOUNT, as_of=quiet_day, as_json=True, out=out)
    explained = json.loads(out.getvalue())
    assert "account_exception" in explained["decisions"][0]["reason_codes"]
    assert explained["exceptions"][0]["state"] == "active"

    # The score worsens by 8 or more: the exception lapses and the card comes back.
    _worse(story, worse_day)
    _cycle(story, worse_day)
    worse = _score(story, worse_day)
    assert worse <= exception.baseline_score - 8  # the premise
    lapsed = _exception(story)
    assert (lapsed.state, lapsed.lapse_reason) == ("lapsed", "worsened")
    assert f"the score fell from {exception.baseline_score} to {worse}" in str(lapsed.lapse_detail)
    back = _signal(story, worse_day)
    assert back.route == "assist" and back.reasons["codes"][-1] == "exception_lapsed"
    card = _cards(story)[-1]
    assert card.signal_id == back.id and card.message_ts is not None
    shown = [m for m in story.dms_to(OWNER) if str(m.get("text", "")).startswith(NAME)][-1]
    assert "Back from quiet: the exception on health_low" in json.dumps(shown["blocks"])
    with story.db.session_factory() as session:
        log = [(r.action, r.actor_slack_id) for r in session.scalars(
            select(OverrideRecord).where(OverrideRecord.account_id == ACCOUNT).order_by(OverrideRecord.id))]  # fmt: skip
    assert log == [
        ("dismissed", OWNER),
        ("dismissed", OWNER),
        ("exception_set", OWNER),
        ("exception_lapsed", "tandem"),
    ]
    post_digests(story.deps, only_user=OWNER)  # the morning digest says it lapsed, and why
    digest = [m for m in story.dms_to(OWNER) if "digest" in str(m.get("text", ""))][-1]
    assert f"{NAME}: Back from quiet: the exception on health_low" in json.dumps(digest["blocks"])
    _cycle(story, worse_day)  # a rerun of the day records nothing twice
    assert len(_cards(story)) == 3
    with story.db.session_factory() as session:
        assert (
            len(list(session.scalars(select(OverrideRecord).where(OverrideRecord.account_id == ACCOUNT))))
            == 4
        )
