"""Replicas of `serve` with a book of posted cards to click: the replica tests' and benchmark's world.

A stand-in for Slack's Web API, a local SMTP server, `cards` pending cards posted to their
owner's DM, and `replicas` real `serve` processes on the database, each clicked once on a few
spare cards first (a process's first requests are slow). Clicks go out in waves of WAVE at
once, from a child process (tests/support/click_load.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.ids import CardAction
from tests.conftest import Database
from tests.support import factories
from tests.support.card_book import PostedCard, posted_cards
from tests.support.click_load import Click, Load, ack_summary, send_apart
from tests.support.replicas import TOKEN, Inbox, database_url, local_smtp, running_replicas, sender
from tests.support.serve_process import ServeProcess
from tests.support.slack_stand_in import StandIn, running_stand_in

CARDS = 100
WARM_UP = 10  # more cards, clicked once before the measured load
WAVE = 50  # clicks in flight at once


@dataclass
class Cluster:
    db: Database
    api: StandIn
    inbox: Inbox
    replicas: list[ServeProcess]
    cards: list[PostedCard]
    verbose: bool = True  # print each wave's acks

    def click(self, card: PostedCard, *, user: str, replica: int, action: str = CardAction.APPROVE) -> Click:
        return Click.build(
            sender(self.replicas[replica]), card_id=card.card_id, user=user, replica=replica,
            channel=card.channel, ts=card.ts, response_url=self.api.response_url(f"card-{card.card_id}"),
            action=action,
        )  # fmt: skip

    def send(self, clicks: list[Click], *, retry: bool = False) -> Load:
        senders = [sender(replica) for replica in self.replicas]
        total = Load()
        for start in range(0, len(clicks), WAVE):
            wave = send_apart(senders, clicks[start : start + WAVE], retry=retry)
            if self.verbose:
                print(
                    f"\n  wave of {len(wave.answers)}: {ack_summary(wave.ack_seconds())}, {wave.seconds:.2f} s"
                )
            total.answers += wave.answers
            total.seconds += wave.seconds
        return total


@contextmanager
def running_cluster(
    db: Database, workdir: Path, *, cards: int = CARDS, replicas: int = 2, **env: str
) -> Iterator[Cluster]:
    """`cards` posted cards (and WARM_UP more, clicked once), `replicas` serve processes with the
    scheduler on (the outbox swept every 2 s), a stand-in and an SMTP server."""
    with running_stand_in() as api, local_smtp() as (inbox, smtp_url):
        posted = posted_cards(db, api.api_url, count=cards + WARM_UP, token=TOKEN)
        env = {
            "TANDEM_SCHEDULER": "true",
            "TANDEM_OUTBOX_INTERVAL_SECONDS": "2",
            "SMTP_URL": smtp_url,
            # The stand-in is not Slack: 110 decisions in seconds would otherwise wait a minute
            # and more for their card updates, paced at chat.update's Tier 3 (50 a minute).
            "TANDEM_SLACK_TIER3_PER_MINUTE": "6000",
            **env,
        }
        with running_replicas(workdir, api.api_url, database_url(db), count=replicas, **env) as processes:
            cluster = Cluster(db, api, inbox, processes, posted[:cards])
            warm_up = [
                cluster.click(card, user=factories.OWNER, replica=n % replicas)
                for n, card in enumerate(posted[cards:])
            ]
            assert cluster.send(warm_up).statuses == {200: WARM_UP}
            yield cluster


def contested_clicks(cluster: Cluster) -> list[Click]:
    """Every card clicked by its owner, half of them at the same moment by the manager on the
    other replica (every tenth as a take-over), and the first by three people at once."""
    clicks = []
    for index, card in enumerate(cluster.cards):
        count = len(cluster.replicas)
        clicks.append(cluster.click(card, user=factories.OWNER, replica=index % count))
        if index % 2 == 0:
            action = CardAction.TAKE_OVER if index % 10 == 0 else CardAction.APPROVE
            clicks.append(
                cluster.click(card, user=factories.MANAGER, replica=(index + 1) % count, action=action)
            )
        if index == 0:
            clicks.append(cluster.click(card, user=factories.OPS, replica=(index + 2) % count))
    return clicks
