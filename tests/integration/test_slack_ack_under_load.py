"""A click is acked at once even while earlier clicks are still doing their work.

Bolt runs a listener, its ack included, on a thread of one pool; the work after the ack (the
decision, then the update of the card's message in Slack) keeps that thread. With Bolt's
default pool of 5, the sixth simultaneous click waited for a whole decision before it could
ack, and with a slow Slack the eleventh waited past Slack's 3 s: the person saw an error.
"""

from __future__ import annotations

from storage.db import transaction
from tests.conftest import Database
from tests.integration.slack_env import SECRET, PostedCard, slack_env
from tests.support import factories
from tests.support.click_load import Click, ack_summary, send_together
from tests.support.slack_requests import SlackSender

CLICKS = 12
SLOW_SLACK_SECONDS = 3.0  # each decision's chat.update takes this long to answer: Slack's ack limit


def test_twelve_clicks_at_once_are_all_acked_while_slack_is_slow(db: Database) -> None:
    with slack_env(db) as env:
        with transaction(db.session_factory) as session:
            for index in range(1, CLICKS):
                factories.add_account(session, f"ACC-{index + 1}", f"Account {index + 1}")
        cards = [env.post_card(account_id=f"ACC-{index + 1}") for index in range(CLICKS)]
        env.api.delays["chat.update"] = SLOW_SLACK_SECONDS
        sender = SlackSender(env.slack.url, SECRET)
        clicks = [_click(sender, card, env.api.response_url(f"c{card.card_id}")) for card in cards]
        load = send_together([sender], clicks)
        acks = load.ack_seconds()
        print(
            f"\n[ack] {CLICKS} clicks at once, Slack answering in {SLOW_SLACK_SECONDS} s: {ack_summary(acks)}"
        )
        assert load.statuses == {200: CLICKS}, load.statuses
        # A click is decided before its ack (stored first), so an ack waits for the database's
        # commits (on SQLite one writer: the twelfth waits for eleven), never for Slack's update:
        # an ack that had waited for one would take SLOW_SLACK_SECONDS, past Slack's 3 s.
        assert max(acks) < SLOW_SLACK_SECONDS, ack_summary(acks)


def _click(sender: SlackSender, card: PostedCard, response_url: str) -> Click:
    return Click.build(
        sender,
        card_id=card.card_id,
        user=factories.OWNER,
        replica=0,
        channel=card.channel,
        ts=card.ts,
        response_url=response_url,
    )
