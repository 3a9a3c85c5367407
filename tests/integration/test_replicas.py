"""Two `serve` replicas on one PostgreSQL database behave as one app.

Real processes (tests/support/replicas.py) share a database, a Web API stand-in and a local
SMTP server. Clicks go to both at once, people race on one card, a replica dies by SIGKILL
mid-load and Slack's retries of what it lost go to the other: each card is decided once, its
message updated once, its email sent once. Each test prints what it measured (`pytest -s`;
tests/benchmarks/bench_replicas.py prints the same figures).
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.enums import CardState
from storage.models import CardClick, EscalationCard, OutboxMessage, OverrideRecord, SlackDelivery
from tests.conftest import Database
from tests.support import factories
from tests.support.click_load import Load, ack_summary, bot_side_acks, percentile
from tests.support.replica_cluster import CARDS, WARM_UP, WAVE, Cluster, contested_clicks, running_cluster
from tests.support.replicas import kill
from tests.support.serve_process import healthy
from tests.support.waiting import wait_for

pytestmark = pytest.mark.parametrize(
    "db", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)

SLACK_ACK_LIMIT = 3.0  # seconds: past it Slack shows the person an error
# The goal: a p99 under 300 ms, timed inside the bot (the replicas' /metrics), which the test
# holds; the client's figure, which adds this machine's own queueing, is printed beside the load.
ACK_P99_GOAL = 0.300


@pytest.fixture
def cluster(db: Database, tmp_path: Path) -> Iterator[Cluster]:
    with running_cluster(db, tmp_path, cards=CARDS) as running:
        yield running


def assert_each_card_decided_once(cluster: Cluster) -> Counter[str]:
    """Every card decided, one override row each, every approval's email sent once, every card's
    message updated once; returns the decisions by state."""
    with cluster.db.session_factory() as session:
        states = Counter(session.scalars(select(EscalationCard.state)).all())
        logged = Counter(session.scalars(select(OverrideRecord.card_id)).all())
        queued = session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
    assert states[CardState.PENDING] == 0, states
    assert len(logged) == CARDS + WARM_UP and max(logged.values()) == 1, (
        "a card decided twice in the override log"
    )
    approved = states[CardState.APPROVED]
    assert queued == approved, (queued, approved)
    wait_for(lambda: len(cluster.inbox.messages) >= approved, timeout=30)
    recipients = Counter(message["To"] for message in cluster.inbox.messages)
    assert len(recipients) == approved and max(recipients.values()) == 1, "an email sent twice"
    wait_for(lambda: len(_updates(cluster)) >= CARDS + WARM_UP, timeout=30)
    updates = _updates(cluster)
    assert len(updates) == CARDS + WARM_UP and max(updates.values()) == 1, "a card's message updated twice"
    return states


def test_two_replicas_decide_each_card_once_under_concurrent_clicks(cluster: Cluster) -> None:
    clicks = contested_clicks(cluster)
    ports = [replica.port for replica in cluster.replicas]
    warm = bot_side_acks(ports)  # the warm-up's clicks (first connections, first imports) apart
    load = cluster.send(clicks)
    acks = load.ack_seconds()
    p99 = percentile(acks, 0.99)
    wait_for(lambda: _all_decided(cluster), timeout=30)
    states = assert_each_card_decided_once(cluster)
    wait_for(lambda: _refusals(cluster) >= len(clicks) - CARDS, timeout=15)
    refusals = _refusals(cluster)
    print(
        f"\n[replicas] {len(clicks)} signed clicks over {CARDS} cards, {WAVE} at a time, two replicas: "
        f"{ack_summary(acks)}; answers {dict(load.statuses)}; decided {dict(states)}; "
        f"{len(cluster.inbox.messages)} emails; {refusals} refused as already handled"
        f"{_log_problems(cluster)}"
    )
    assert load.statuses == {200: len(clicks)}, [a.error for a in load.lost]
    assert refusals == len(clicks) - CARDS  # every loser is told who decided, nobody else
    slow = sum(ack >= SLACK_ACK_LIMIT for ack in acks)
    answered, within_300, within_100 = (
        now - then for now, then in zip(bot_side_acks(ports), warm, strict=True)
    )
    print(f"[replicas] {slow} of {len(acks)} acks at or past Slack's {SLACK_ACK_LIMIT:g} s")
    print(f"[replicas] ack p99 {'within' if p99 < ACK_P99_GOAL else 'OVER'} the 300 ms goal seen by the "
          f"client, load {_load()}; bot-side (the replicas' /metrics): {within_300} of {answered} clicks "
          f"acked within 300 ms, {within_100} within 100 ms")  # fmt: skip
    # The goal, timed inside the bot (the client's figure adds this machine's own queueing): a
    # click is stored and acked, its decision follows (bot.workflows.click_inbox). Deciding
    # before the ack measured p99 2.8-3.5 s here.
    assert answered == len(clicks) and within_300 >= 0.99 * answered, (within_300, answered)
    assert slow == 0, f"{slow} acks past Slack's {SLACK_ACK_LIMIT:g} s"
    assert all(healthy(replica.port) for replica in cluster.replicas)


LEASE = {  # a dead replica's claims are taken over within seconds (the defaults are minutes)
    "TANDEM_DELIVERY_SWEEP_SECONDS": "1",
    "TANDEM_DELIVERY_STALE_SECONDS": "3",
    "TANDEM_OUTBOX_STALE_SECONDS": "3",
    "TANDEM_CLICK_STALE_SECONDS": "3",
}


def test_a_replica_killed_mid_load_loses_nothing_and_slacks_retries_change_nothing_twice(
    db: Database, tmp_path: Path
) -> None:
    """Replica 1 dies by SIGKILL while clicks are in flight and its listeners are mid-work
    (Slack answers updates slowly); the load goes on to both. Slack retries every request
    replica 1 may have lost (same body, X-Slack-Retry-Num: 1) at replica 0; a click replica 1
    stored and acked but never decided is decided by replica 0's sweep, nobody clicking again."""
    with running_cluster(db, tmp_path, cards=CARDS, **LEASE) as cluster:
        clicks = [
            cluster.click(card, user=factories.OWNER, replica=n % 2) for n, card in enumerate(cluster.cards)
        ]
        before, during, after = clicks[:40], clicks[40:80], clicks[80:]
        first = cluster.send(before)
        cluster.api.delays["chat.update"] = 0.5
        result: list[Load] = []
        sending = threading.Thread(target=lambda: result.append(cluster.send(during)))
        sending.start()
        wait_for(lambda: _decided(cluster) >= WARM_UP + len(before) + 3, timeout=30, interval=0.005)
        kill(cluster.replicas[1])
        sending.join(60)
        cluster.api.delays.clear()
        last = cluster.send(after)
        survivor = cluster.replicas[0]
        assert healthy(survivor.port)
        lost = [a for a in [*result[0].answers, *last.answers] if a.status != 200]
        assert lost, "no request was lost: the kill came too late to test anything"
        assert all(a.click.replica == 1 for a in lost), "the survivor lost a request"

        answered = [*result[0].answers, *last.answers]
        # Slack retries what got no answer, at whichever replica is left ...
        retried = cluster.send([replace(a.click, replica=0) for a in lost], retry=True)
        assert retried.statuses == {200: len(lost)}
        _settle(cluster)
        # ... and a click the dead replica stored and acked but never decided is decided by the
        # survivor's sweep (bot.workflows.click_inbox): nobody has to click again.
        left = _stored_pending(cluster)
        wait_for(lambda: _stored_pending(cluster) == 0, timeout=30)
        assert not [click for click in clicks if _pending(cluster, click.card_id)], "an acked click was lost"
        _settle(cluster)
        decided = _decided(cluster)
        # Retries of what the dead replica did answer (an ack late past 3 s is retried too) change nothing.
        acked = [replace(a.click, replica=0) for a in answered if a.click.replica == 1 and a.status == 200]
        if acked:  # (none when the dead replica had answered nothing before the kill)
            assert cluster.send(acked, retry=True).statuses == {200: len(acked)}
        _settle(cluster)
        assert _decided(cluster) == decided
        wait_for(lambda: _decided(cluster) == CARDS + WARM_UP, timeout=30)
        states = _decided_once(cluster)
        print(
            f"\n[replicas] replica 1 killed mid-load: {len(lost)} requests lost ({Counter(a.error for a in lost)}), "
            f"retried at replica 0 ({ack_summary(retried.ack_seconds())}), {len(acked)} acked ones retried too, "
            f"{left} clicks stored by the dead replica but not yet decided, decided by the survivor's sweep; "
            f"decided {dict(states)}; {_taken_over(cluster)} Slack updates taken over from the dead replica; "
            f"load {_load()}"
        )
        assert first.statuses == {200: len(before)}


def _decided_once(cluster: Cluster) -> Counter[str]:
    """One decision and one override row per card; every card's message shows it; one email per
    approval (a resend of one a dead replica may have sent carries the same Message-ID and is
    marked a possible duplicate for ops)."""
    with cluster.db.session_factory() as session:
        states = Counter(session.scalars(select(EscalationCard.state)).all())
        logged = Counter(session.scalars(select(OverrideRecord.card_id)).all())
        emails = session.scalars(select(OutboxMessage)).all()
    assert len(logged) == CARDS + WARM_UP and max(logged.values()) == 1, "a card decided twice"
    assert len(emails) == states[CardState.APPROVED]
    wait_for(lambda: _sent(cluster) == len(emails), timeout=30)
    ids = Counter(message["Message-ID"] for message in cluster.inbox.messages)
    assert len(ids) == len(emails), "an approval's email never went out"
    with cluster.db.session_factory() as session:
        doubtful = {m.idempotency_key for m in session.scalars(select(OutboxMessage)) if m.possible_duplicate}
    twice = [key for key, count in ids.items() if count > 1]
    assert len(twice) <= len(doubtful), (twice, doubtful)
    wait_for(lambda: len(_updates(cluster)) >= CARDS + WARM_UP, timeout=30)
    return states


def _stored_pending(cluster: Cluster) -> int:
    with cluster.db.session_factory() as session:
        return int(
            session.scalar(select(func.count()).select_from(CardClick).where(CardClick.state == "pending"))
            or 0
        )


def _settle(cluster: Cluster) -> None:
    """Wait for the listeners still working after their ack: the decision count stops moving."""

    def quiet() -> bool:
        before = _decided(cluster)
        time.sleep(1.0)
        return _decided(cluster) == before

    wait_for(quiet, timeout=30)


def _taken_over(cluster: Cluster) -> int:
    with cluster.db.session_factory() as session:
        return len(session.scalars(select(SlackDelivery.id).where(SlackDelivery.attempts > 1)).all())


def _sent(cluster: Cluster) -> int:
    with cluster.db.session_factory() as session:
        return len(session.scalars(select(OutboxMessage.id).where(OutboxMessage.state == "sent")).all())


def _decided(cluster: Cluster) -> int:
    with cluster.db.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(OverrideRecord)) or 0)


def _pending(cluster: Cluster, card_id: int) -> bool:
    with cluster.db.session_factory() as session:
        card = session.get(EscalationCard, card_id)
        return card is not None and card.state == CardState.PENDING


def _all_decided(cluster: Cluster) -> bool:
    with cluster.db.session_factory() as session:
        pending = select(func.count()).where(EscalationCard.state == CardState.PENDING)
        return session.scalar(pending) == 0


def _refusals(cluster: Cluster) -> int:
    return sum(
        "Already handled" in call.body.get("text", "") for call in cluster.api.calls_to("response_url")
    )


def _updates(cluster: Cluster) -> Counter[tuple[str, str]]:
    return Counter((call.body["channel"], call.body["ts"]) for call in cluster.api.calls_to("chat.update"))


def _log_problems(cluster: Cluster) -> str:
    """The replicas' warnings and errors, for the printed figures (a slow ack often says why there)."""
    lines = [
        line[:200]
        for replica in cluster.replicas
        for line in replica.output().splitlines()
        if "WARNING" in line or "ERROR" in line or "Traceback" in line
    ]
    return (
        "" if not lines else f"; {len(lines)} warnings in the replicas' logs:\n  " + "\n  ".join(lines[:10])
    )


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())
