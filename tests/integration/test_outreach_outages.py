"""SMTP outages against a real local SMTP server that goes down and comes back: a 20-second and
a 2-hour outage end with every email sent exactly once; an outage that never ends fails the
email visibly (ops told with Retry, a line in the owning CSM's digest with Retry); a send stuck
in `sending` by a crash is resent with its Message-ID and flagged a possible duplicate."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import update

from bot.ids import OutreachAction
from bot.outreach import SmtpSender, deliver_due
from bot.workflows.digest import post_digests
from bot.workflows.home import home_view_for
from storage.db import transaction
from storage.enums import OutboxState
from storage.models import OutboxMessage
from storage.repositories import outbox
from tests.conftest import Database
from tests.integration.seeded_env import Inbox
from tests.integration.slack_env import SlackEnv, slack_env
from tests.support import factories
from tests.support.factories import OPS, OWNER
from tests.support.waiting import wait_for


@pytest.fixture
def env(db: Database) -> Iterator[SlackEnv]:
    with slack_env(db) as environment:
        yield environment


class Smtp:
    """A local SMTP server on a fixed port that can be taken down and brought back."""

    def __init__(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.inbox = Inbox()
        self._controller: Controller | None = None
        self.sender = SmtpSender(f"smtp://127.0.0.1:{self.port}", "tandem@localhost", timeout=2.0)

    def up(self) -> None:
        if self._controller is None:
            self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
            self._controller.start()

    def down(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def received(self) -> list[str]:
        return [str(message["Message-ID"]) for message in self.inbox.messages]


@contextmanager
def smtp_server() -> Iterator[Smtp]:
    server = Smtp()
    try:
        yield server
    finally:
        server.down()


def _queue_emails(env: SlackEnv, count: int) -> list[int]:
    ids = []
    with transaction(env.db.session_factory) as session:
        for n in range(count):
            message = outbox.enqueue(
                session, idempotency_key=f"card:{n}:send", account_id="ACC-1", card_id=None, channel="email",
                recipient=f"buyer{n}@acme.test", subject=f"Checking in {n}", body="Hello from your CSM.",
                send_after=factories.NOW, now=factories.NOW,
            )  # fmt: skip
            message.visible_since = factories.NOW  # shown to the CSM with Cancel already
            ids.append(message.id)
    return ids


def _states(env: SlackEnv, ids: list[int]) -> list[str]:
    with env.db.session_factory() as session:
        return [session.get(OutboxMessage, i).state for i in ids]  # type: ignore[union-attr]


def _drain_through_outage(
    env: SlackEnv, smtp: Smtp, *, outage: timedelta, every: timedelta, until: timedelta
) -> None:
    """The outbox job at its interval, with the SMTP server down for the outage's length."""
    start = env.clock.now()
    while env.clock.now() - start <= until:
        if env.clock.now() - start >= outage:
            smtp.up()
        deliver_due(env.deps, smtp=smtp.sender)
        env.clock.advance(seconds=every.total_seconds())


@pytest.mark.parametrize(
    ("outage", "every", "until"),
    [
        (timedelta(seconds=20), timedelta(seconds=4), timedelta(minutes=3)),  # drained every 4 s
        (timedelta(hours=2), timedelta(minutes=1), timedelta(hours=3)),
    ],
    ids=["20-second outage", "2-hour outage"],
)
def test_an_smtp_outage_ends_with_every_email_sent_once(
    env: SlackEnv, outage: timedelta, every: timedelta, until: timedelta
) -> None:
    ids = _queue_emails(env, 3)
    with smtp_server() as smtp:
        _drain_through_outage(env, smtp, outage=outage, every=every, until=until)
        assert _states(env, ids) == ["sent"] * 3
        assert sorted(smtp.received()) == sorted(f"<card.{n}.send@tandem>" for n in range(3))


def test_an_outage_that_never_ends_fails_visibly_and_retry_sends_it_once(env: SlackEnv) -> None:
    (message_id,) = _queue_emails(env, 1)
    with smtp_server() as smtp:
        _drain_through_outage(
            env, smtp, outage=timedelta(days=2), every=timedelta(minutes=10), until=timedelta(hours=12)
        )
        assert _states(env, [message_id]) == ["failed"]

        # Ops is told once, with Retry; the CSM's digest lists it with Retry too.
        told = [body for (channel, _), body in env.api.messages.items() if channel == "D" + OPS[1:]]
        assert len(told) == 1 and "could not send" in told[0]["text"] and "Acme Corp" in told[0]["text"]
        assert _retry_values(told[0]["blocks"]) == [str(message_id)]
        post_digests(env.deps, only_user=OWNER)
        digest = next(
            b for (c, _), b in env.api.messages.items() if c == "D" + OWNER[1:] and "digest" in b["text"]
        )
        assert "Emails Tandem could not send (1)" in str(digest["blocks"])
        assert _retry_values(digest["blocks"]) == [str(message_id)]

        # A stranger may not retry; the CSM may, once; the email then goes out once.
        for user, hook in ((factories.OTHER_CSM, "other"), (OWNER, "csm"), (OWNER, "again")):
            env.slack.block_action(OutreachAction.RETRY, str(message_id), user_id=user, channel_id="D1",
                                   message_ts="1.1", response_url=env.api.response_url(hook))  # fmt: skip
            wait_for(lambda hook=hook: env.api.responses_at(hook))
        assert "Only the account's CSM" in env.api.responses_at("other")[-1].body["text"]
        assert "Queued again" in env.api.responses_at("csm")[-1].body["text"]
        assert "Nothing to retry" in env.api.responses_at("again")[-1].body["text"]
        smtp.up()
        deliver_due(env.deps, smtp=smtp.sender)
        deliver_due(env.deps, smtp=smtp.sender)
        assert smtp.received() == ["<card.0.send@tandem>"] and _states(env, [message_id]) == ["sent"]


def test_a_send_stuck_by_a_crash_is_resent_with_its_message_id_and_flagged_for_ops(env: SlackEnv) -> None:
    (message_id,) = _queue_emails(env, 1)
    with transaction(env.db.session_factory) as session:  # a worker claimed it, then died
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(state=OutboxState.SENDING, attempts=1, claimed_at=factories.NOW)
        )
    with smtp_server() as smtp:
        smtp.up()
        env.clock.advance(minutes=5)
        assert deliver_due(env.deps, smtp=smtp.sender).sent == []  # it may still be on its way
        env.clock.advance(minutes=6)
        assert deliver_due(env.deps, smtp=smtp.sender).sent == [message_id]
        assert deliver_due(env.deps, smtp=smtp.sender).sent == []
        assert smtp.received() == [
            "<card.0.send@tandem>"
        ]  # the original Message-ID: a receiver can drop a copy
    with env.db.session_factory() as session:
        row = session.get(OutboxMessage, message_id)
        assert row is not None and row.state == "sent" and row.possible_duplicate
    assert "possible duplicates" in str(home_view_for(env.deps, slack_id=OPS)["blocks"])


def _retry_values(blocks: list[dict[str, Any]]) -> list[str]:
    values = []
    for block in blocks:
        elements = (
            block.get("elements", []) if block.get("type") == "actions" else [block.get("accessory") or {}]
        )
        values += [e["value"] for e in elements if e.get("action_id") == OutreachAction.RETRY]
    return values
