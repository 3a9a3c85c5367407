"""Where people act on the guardrails in Slack: a card over the day's budget opened from the
digest, and the card menu's "Always human". Signed requests into the Bolt app, on both backends."""

from __future__ import annotations

from sqlalchemy import select

from bot.ids import CardMenu, DigestAction
from bot.workflows.digest import post_digests
from storage.models import Account, EscalationCard, Signal
from tests.integration.seeded_env import Story, card_budget_of_one
from tests.support.waiting import wait_for


def _waiting(story: Story) -> list[EscalationCard]:
    with story.db.session_factory() as session:
        query = select(EscalationCard).where(
            EscalationCard.delivery == "digest", EscalationCard.message_ts.is_(None)
        )
        return list(session.scalars(query.order_by(EscalationCard.id)))


def test_a_card_over_the_budget_waits_in_the_digest_and_opens_from_there(story: Story) -> None:
    card_budget_of_one(story)
    story.cycle()
    waiting = _waiting(story)
    assert waiting and all(card.draft_id is None for card in waiting)  # drafted only when opened
    with story.db.session_factory() as session:
        posted_per_csm = {
            recipient: sum(
                1
                for c in session.scalars(select(EscalationCard))
                if c.recipient_slack_id == recipient and c.delivery == "dm"
            )
            for recipient in {card.recipient_slack_id for card in waiting}
        }
    escalations = 1  # the planted escalation is exempt from the budget
    assert all(count <= 1 + escalations for count in posted_per_csm.values())

    card = next(c for c in waiting if _route(story, c) == "assist")
    owner = card.recipient_slack_id
    post_digests(story.deps, only_user=owner)
    digest = [m for m in story.dms_to(owner) if "digest" in str(m.get("text", ""))][-1]
    open_values = [
        block["accessory"]["value"]
        for block in digest["blocks"]
        if block.get("accessory", {}).get("action_id") == DigestAction.OPEN_CARD
    ]
    assert str(card.id) in open_values
    assert "over your daily card budget" in str(digest["blocks"])

    # Someone else's CSM may not open it.
    other = next(c.recipient_slack_id for c in waiting if c.recipient_slack_id != owner)
    story.slack.block_action(
        DigestAction.OPEN_CARD,
        str(card.id),
        user_id=other,
        channel_id="D1",
        message_ts="1.1",
        response_url=story.api.response_url("other"),
    )
    assert "Only the account's CSM" in wait_for(lambda: story.api.responses_at("other"))[-1].body["text"]

    before = len(story.dms_to(owner))
    for hook in ("first", "second"):  # a double click posts it once
        story.slack.block_action(
            DigestAction.OPEN_CARD,
            str(card.id),
            user_id=owner,
            channel_id="D1",
            message_ts="1.1",
            response_url=story.api.response_url(hook),
        )
        wait_for(lambda hook=hook: story.api.responses_at(hook))
    assert "is in your DM now" in story.api.responses_at("first")[-1].body["text"]
    assert "already in" in story.api.responses_at("second")[-1].body["text"]
    new = story.dms_to(owner)[before:]
    assert len(new) == 1
    blocks = str(new[0]["blocks"])
    assert "Proposed message" in blocks and "Evidence" in blocks  # drafted and evidenced on opening
    with story.db.session_factory() as session:
        opened = session.get(EscalationCard, card.id)
        assert opened is not None and opened.delivery == "dm" and opened.message_ts and opened.draft_id


def _route(story: Story, card: EscalationCard) -> str:
    with story.db.session_factory() as session:
        signal = session.get(Signal, card.signal_id)
        assert signal is not None
        return signal.route


def test_always_human_from_a_cards_menu_sets_the_veto(story: Story) -> None:
    story.cycle()
    message = story.card_message("whale")
    with story.db.session_factory() as session:
        card = session.scalars(
            select(EscalationCard).where(EscalationCard.account_id == story.planted["whale"])
        ).one()
    channel, ts = next(key for key, body in story.api.messages.items() if body.get("text") == message["text"])
    story.slack.block_action(
        CardMenu.MORE, f"{CardMenu.VETO}:{card.id}", user_id=story.owner("whale"), channel_id=channel,
        message_ts=ts, response_url=story.api.response_url("veto"), overflow=True,
    )  # fmt: skip
    assert "always human" in wait_for(lambda: story.api.responses_at("veto"))[-1].body["text"]
    with story.db.session_factory() as session:
        account = session.get(Account, story.planted["whale"])
        assert (
            account is not None and account.always_human and account.always_human_by == story.owner("whale")
        )
