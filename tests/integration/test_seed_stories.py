"""The seeds' stories, each through the whole cycle: a seeded book (or a change to it), the daily
cycle, then what was posted to Slack (the Web API stand-in), held, queued or sent. On SQLite
and PostgreSQL. Each test is named after its story in ../shared/seeds/000.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.ids import AutoTouchAction, CircuitAction
from bot.outreach import SmtpSender, deliver_due
from bot.workflows import card_decisions
from bot.workflows.digest import post_digests
from bot.workflows.home import home_view_for
from scoring.config import config_to_dict, load_default_config
from storage.db import transaction
from storage.models import (
    CircuitBreakerTrip,
    ContextEvent,
    EngagementEvent,
    EscalationCard,
    OutboxMessage,
    OverrideRecord,
    Signal,
    Ticket,
    UsageDaily,
    User,
)
from storage.repositories import configs
from tests.integration.seeded_env import AS_OF, BOOK, NOW, OPS, Inbox, Story, buttons
from tests.support.waiting import wait_for


def test_the_migration_false_positive(story: Story) -> None:
    """Usage fell 40% because the client moved to a new instance: no concerned check-in."""
    story.cycle()
    signals = story.signals("migration")
    assert signals["health_drop"].route == "human"
    assert story.codes("migration", "health_drop") == ["known_context"]
    assert story.touches("migration") == []  # no automated "concerned" email
    card = story.card_message("migration")
    assert buttons(card) == ["Take over"]  # nothing for Tandem to send
    assert "instance migration" in str(card["blocks"])


def test_the_breach_during_a_renewal_campaign(story: Story, smtp: tuple[Inbox, SmtpSender]) -> None:
    """ "Time to celebrate another successful year!" must not land during a data breach."""
    inbox, sender = smtp
    story.cycle()
    # The client already in crisis: automation paused, celebratory tone blocked, and one card
    # for a person ("keep humans in high-stakes moments"), not one per signal.
    signals = story.signals("incident_renewal")
    assert "renewal_risk" in signals and len(signals) > 1
    assert all(s.route == "human" and s.reasons["codes"] == ["crisis_context"] for s in signals.values())
    assert all(s.details["celebratory_tone_blocked"] for s in signals.values())
    (card,) = story.cards("incident_renewal")
    assert story.touches("incident_renewal") == []
    message = story.card_message("incident_renewal")
    assert buttons(message) == ["Take over"]  # nothing for Tandem to send
    shown = str(message["blocks"])
    assert "security incident reported 3 days ago" in shown and "Reach out personally" in shown
    assert "Talking points" in shown and card.draft_id is not None  # in the crisis register
    # The campaign: a healthy renewal gets its automated reminder, waiting out its hold window...
    assert story.signals("renewal_campaign")["renewal_reminder"].route == "auto"
    (reminder,) = story.touches("renewal_campaign")
    assert reminder.state == "queued"
    # ... when the client reports a breach. The reminder is stopped at send time.
    with transaction(story.db.session_factory) as session:
        session.add(
            ContextEvent(
                account_id=story.planted["renewal_campaign"],
                kind="security_incident",
                starts_at=NOW + timedelta(minutes=30),
                note="Ransomware",
            )
        )
    post_digests(story.deps)  # each CSM sees the touches queued on their accounts, with Cancel
    story.clock.advance(days=2)  # every hold window has run, in every CSM's working hours
    report = deliver_due(story.deps, smtp=sender)
    assert reminder.id in report.held and reminder.id not in report.sent
    assert report.sent  # the other accounts' touches went out as usual
    assert reminder.recipient not in {message["To"] for message in inbox.messages}
    (stopped,) = story.touches("renewal_campaign")
    assert stopped.state == "cancelled"
    with story.db.session_factory() as session:
        log = session.scalars(select(OverrideRecord).where(OverrideRecord.outbox_id == reminder.id)).one()
    assert log.action == "held" and "security incident" in (log.reason or "")


def test_a_crisis_gets_one_card_while_it_lasts_and_one_digest_line(story: Story) -> None:
    """The next day the same crisis posts no second card (the first is still with a person, or
    decided); each morning's digest names the account once under "On hold", not once per signal."""
    owner = story.owner("incident_renewal")
    for day in range(2):
        story.cycle()
        (card,) = story.cards("incident_renewal")
        if day == 0:
            outcome = card_decisions.dismiss(story.deps, card_id=card.id, actor=owner, reason="known_context")
            assert isinstance(outcome, card_decisions.Decided)
        post_digests(story.deps, only_user=owner)
        digest = [m for m in story.dms_to(owner) if "digest" in str(m.get("text", ""))][-1]
        (held,) = [b for b in digest["blocks"] if b.get("text", {}).get("text", "").startswith("*On hold*")]
        assert held["text"]["text"].count("Meridian Health Partners") == 1
        assert "security incident reported" in held["text"]["text"]
        story.clock.advance(days=1)
    story.clock.advance(days=-1)
    again = story.signals("incident_renewal")  # the second day: recorded, kept quiet, no card
    assert again and all(
        s.route == "hold" and s.reasons["codes"][0] == "crisis_carded" for s in again.values()
    )
    assert story.touches("incident_renewal") == []


def test_the_enterprise_exception(story: Story) -> None:
    """The onboarding nudge built for small customers must not reach the enterprise client
    with a multi-stakeholder implementation: a person takes it."""
    story.cycle()
    enterprise = story.signals("enterprise_onboarding")
    assert enterprise["onboarding_stalled"].route == "human"
    assert story.codes("enterprise_onboarding", "onboarding_stalled") == ["complexity_single"]
    assert story.touches("enterprise_onboarding") == []
    assert "Security review" in enterprise["onboarding_stalled"].summary
    assert story.cards("enterprise_onboarding")
    # Its small twin, the same overdue step and nothing else: the automated nudge.
    assert story.signals("smb_onboarding")["onboarding_stalled"].route == "auto"
    (nudge,) = story.touches("smb_onboarding")
    assert nudge.send_after == NOW + timedelta(hours=2) and story.cards("smb_onboarding") == []


def test_the_ignored_check_in_cascade(story: Story) -> None:
    """An automated check-in went unanswered; health is still low. The next touch goes to a
    person, not another automated email that would be ignored in turn."""
    story.cycle()
    assert story.signals("cascade")["health_low"].route == "assist"
    assert story.codes("cascade", "health_low")[0] == "no_cascade"
    assert [t.state for t in story.touches("cascade")] == ["sent"]  # only the earlier, unanswered one
    card = story.card_message("cascade")
    assert "unanswered" in str(card["blocks"])
    assert buttons(card) == ["Approve", "Edit", "Take over"]


def test_the_account_above_two_percent_of_arr(story: Story) -> None:
    story.cycle()
    lead = story.signals("whale")["health_low"]
    assert lead.route == "assist" and "arr_share_above_limit" in lead.reasons["codes"]
    assert any("of total ARR" in sentence for sentence in lead.reasons["sentences"])
    assert story.touches("whale") == []
    assert buttons(story.card_message("whale")) == ["Approve", "Edit", "Take over"]


def test_the_self_serve_account_handled_end_to_end_by_automation(
    story: Story, smtp: tuple[Inbox, SmtpSender]
) -> None:
    inbox, sender = smtp
    story.cycle()
    assert story.signals("self_serve")["health_low"].route == "auto"
    assert story.cards("self_serve") == []  # no card: nobody needs to click anything
    (touch,) = story.touches("self_serve")
    # The CSM sees it in the digest during its hold window, with a Cancel button.
    story.clock.advance(hours=1)
    post_digests(story.deps, only_user=story.owner("self_serve"))
    (digest,) = [m for m in story.dms_to(story.owner("self_serve")) if "digest" in str(m.get("text", ""))]
    cancel_values = [
        block["accessory"]["value"]
        for block in digest["blocks"]
        if block.get("accessory", {}).get("action_id") == AutoTouchAction.CANCEL
    ]
    assert str(touch.id) in cancel_values
    shown_at = story.clock.now()
    with story.db.session_factory() as session:
        queued = session.get(OutboxMessage, touch.id)
        assert queued is not None and queued.visible_since == shown_at
        sends_at = queued.send_after
    # The hold runs from the digest, in the CSM's working hours: two hours at the least.
    assert sends_at - shown_at >= timedelta(hours=2)
    assert touch.id not in deliver_due(story.deps, smtp=sender).sent  # still inside the window
    story.clock.advance(seconds=(sends_at - shown_at).total_seconds() - 60)
    assert touch.id not in deliver_due(story.deps, smtp=sender).sent  # a minute to go
    story.clock.advance(minutes=1)
    assert touch.id in deliver_due(story.deps, smtp=sender).sent
    assert deliver_due(story.deps, smtp=sender).sent == []  # sent once
    assert [message["To"] for message in inbox.messages].count(touch.recipient) == 1
    with story.db.session_factory() as session:
        log = session.scalars(select(OverrideRecord).where(OverrideRecord.outbox_id == touch.id)).one()
        counted = session.scalars(
            select(EngagementEvent).where(
                EngagementEvent.account_id == touch.account_id, EngagementEvent.kind == "outreach_sent"
            )
        ).all()
    assert log.action == "auto_sent" and log.actor_slack_id == "tandem"
    assert any(event.at == story.clock.now() for event in counted)  # the reply rate counts it


def test_two_complexity_indicators_at_once(story: Story) -> None:
    story.cycle()
    lead = story.signals("two_complexity")["complexity"]
    assert lead.route == "escalate" and lead.reasons["codes"] == ["complexity_multiple"]
    assert buttons(story.card_message("two_complexity")) == ["Take over"]
    with story.db.session_factory() as session:
        manager = session.get(User, story.owner("two_complexity"))
        assert manager is not None and manager.manager_slack_id
        manager_id = manager.manager_slack_id
    notices = [m for m in story.dms_to(manager_id) if "Escalation" in str(m.get("text", ""))]
    assert notices and "Cobalt Compliance Group" in notices[0]["text"]


def test_a_csms_veto(story: Story) -> None:
    """The CSM's gut says this account needs a person: the veto sticks, cycle after cycle,
    until they lift it; then automation handles the account again."""
    # Cooldown 0 for the nudge (an ops configuration change), so each day's cycle re-decides.
    with transaction(story.db.session_factory) as session:
        body = config_to_dict(load_default_config())
        body["guardrails"]["cooldown_days"]["onboarding_stalled"] = 0
        version = configs.create_config_version(session, body=body, author=OPS, now=NOW, note="daily nudges")
        configs.activate(session, version=version.version)
    owner = story.owner("smb_onboarding")
    hook = story.api.response_url("veto")
    refused = story.slack.slash_command(
        "Pip and Parcel: prefers a call", user_id="U0CSM999", response_url=hook, command="/veto"
    )
    assert refused.status == 200 and "Tandem does not know your Slack user" in refused.json()["text"]
    reply = story.slack.slash_command(
        "Pip and Parcel: prefers a call", user_id=owner, response_url=hook, command="/veto"
    )
    assert reply.status == 200 and "always human" in reply.json()["text"]
    for _ in range(2):  # two daily cycles: the veto holds on both
        story.cycle()
        nudge = story.signals("smb_onboarding")["onboarding_stalled"]
        assert nudge.route == "human" and nudge.reasons["codes"][0] == "csm_veto"
        assert story.touches("smb_onboarding") == []
        card = story.cards("smb_onboarding")[-1]
        outcome = card_decisions.dismiss(story.deps, card_id=card.id, actor=owner, reason="already_handled")
        assert isinstance(outcome, card_decisions.Decided)
        story.clock.advance(days=1)
    lifted = story.slack.slash_command(
        "lift Pip and Parcel", user_id=owner, response_url=hook, command="/veto"
    )
    assert "Veto lifted" in lifted.json()["text"]
    story.cycle()
    assert story.signals("smb_onboarding")["onboarding_stalled"].route == "auto"
    assert [t.state for t in story.touches("smb_onboarding")] == ["queued"]
    with story.db.session_factory() as session:
        actions = session.scalars(
            select(OverrideRecord.action).where(OverrideRecord.account_id == story.planted["smb_onboarding"])
        ).all()
    assert actions.count("vetoed") == 1 and actions.count("veto_lifted") == 1


def test_frustrated_tickets_get_a_person_not_a_send_button(story: Story) -> None:
    """ "When a customer is frustrated, the worst possible response is a well-crafted automated
    email": a card for a person, the draft shown as talking points, nothing to approve."""
    story.cycle()
    sentiment = story.signals("frustrated")["sentiment"]
    assert sentiment.route == "human" and sentiment.reasons["codes"][0] == "sentiment_frustrated"
    assert "frustrated language" in sentiment.summary
    assert story.touches("frustrated") == []  # nothing leaves without a person
    (card,) = story.cards("frustrated")
    assert card.draft_id is not None  # talking points in the frustrated register
    message = story.card_message("frustrated")
    assert buttons(message) == ["Take over"]
    shown = str(message["blocks"])
    assert "Talking points" in shown and "Proposed message" not in shown


def test_a_response_rate_below_twenty_percent(story: Story) -> None:
    """A low reply rate alone is no sign of anger: a person reviews the draft before it goes."""
    story.cycle()
    sentiment = story.signals("low_reply")["sentiment"]
    assert "replies to 1 of 7 automated emails (14%)" in sentiment.summary
    assert sentiment.route == "assist" and sentiment.reasons["codes"][0] == "sentiment"
    assert story.touches("low_reply") == []
    assert buttons(story.card_message("low_reply")) == ["Approve", "Edit", "Take over"]


def test_a_data_outage_trips_the_circuit_breaker(story: Story) -> None:
    """Every account's usage drops at once: a broken feed, not a churn wave. Hold, alert ops."""
    with transaction(story.db.session_factory) as session:
        session.execute(
            update(UsageDaily)
            .where(UsageDaily.day > AS_OF - timedelta(days=7))
            .values(active_users=UsageDaily.active_users / 20)
        )
    story.cycle()
    with story.db.session_factory() as session:
        trips = session.scalars(select(CircuitBreakerTrip)).all()
        dropped = session.scalars(select(Signal).where(Signal.trigger == "health_drop")).all()
        cards_for_drops = session.scalars(
            select(EscalationCard)
            .join(Signal, Signal.id == EscalationCard.signal_id)
            .where(Signal.trigger == "health_drop")
        ).all()
    assert "health_drop" in {trip.trigger for trip in trips}
    assert len(dropped) > BOOK * 0.3
    assert all(s.route == "hold" and s.reasons["codes"][0] == "circuit_breaker" for s in dropped)
    assert cards_for_drops == []
    # One alert per tripped trigger (they may arrive in either order): ops releases health_drop's.
    (alert,) = [m for m in story.dms_to(OPS) if "Circuit breaker: health_drop" in str(m.get("text", ""))]
    release = next(
        element
        for block in alert["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == CircuitAction.RELEASE
    )
    home = str(home_view_for(story.deps, slack_id=OPS)["blocks"])  # ops sees it in App Home too
    assert "Circuit breaker tripped" in home and release["value"] in home
    channel, ts = next(key for key, body in story.api.messages.items() if body.get("text") == alert["text"])
    # A CSM may not release it; ops may, once.
    csm = story.owner("migration")
    story.slack.block_action(
        CircuitAction.RELEASE, release["value"], user_id=csm, channel_id=channel, message_ts=ts,
        response_url=story.api.response_url("csm"),
    )  # fmt: skip
    assert "Only ops" in wait_for(lambda: story.api.responses_at("csm"))[-1].body["text"]
    story.slack.block_action(
        CircuitAction.RELEASE, release["value"], user_id=OPS, channel_id=channel, message_ts=ts,
        response_url=story.api.response_url("ops"),
    )  # fmt: skip
    assert "Released" in wait_for(lambda: story.api.responses_at("ops"))[-1].body["text"]
    updated = wait_for(lambda: [c for c in story.api.calls_to("chat.update") if c.body.get("ts") == ts])
    assert "Released by" in str(updated[-1].body["blocks"])  # the alert now says who released it
    assert release["value"] not in str(home_view_for(story.deps, slack_id=OPS)["blocks"])  # released: gone
    with story.db.session_factory() as session:
        released = session.scalars(
            select(EscalationCard)
            .join(Signal, Signal.id == EscalationCard.signal_id)
            .where(Signal.trigger == "health_drop")
        ).all()
    assert released and all(card.delivery == "digest" and card.message_ts is None for card in released)


def test_the_hand_off_mentions_the_account_executive_and_a_ticket_never_pings(story: Story) -> None:
    """Tandem's own mention of the account executive is a real mention on the hand-off card; a
    customer's ticket that says <!channel> (quoted in another card's evidence) stays text."""
    with transaction(story.db.session_factory) as session:
        session.add(
            Ticket(
                ticket_id="T-PING", account_id=story.planted["whale"], opened_at=NOW - timedelta(days=1),
                severity="urgent", subject="<!channel> <@U0AE00001> nothing works", body="Fix it.",
            )
        )  # fmt: skip
    story.cycle()
    handoff = str(story.card_message("expansion")["blocks"])
    assert "Bring in <@U0AE00001>." in handoff and "&lt;@U0AE00001&gt;" not in handoff
    whale = str(story.card_message("whale")["blocks"])
    assert "&lt;!channel&gt; &lt;@U0AE00001&gt; nothing works" in whale
    assert "<!channel>" not in whale and "<@U0AE00001>" not in whale
