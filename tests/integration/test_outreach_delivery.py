"""Outbox delivery: sent once over real SMTP, retried on failure, never twice."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.deps import Deps
from bot.outreach import SmtpSender, deliver_due
from bot.settings import Settings
from storage.db import transaction
from storage.enums import OutboxState
from storage.models import Account, OutboxMessage, User
from storage.repositories import outbox
from tests.conftest import Database
from tests.integration.seeded_env import Inbox
from tests.support.recording_poster import RecordingPoster


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


class _NoDrafter:
    def draft(self, request: object) -> object:
        raise AssertionError("delivery never drafts")

    def brief(self, request: object) -> object:
        raise AssertionError("delivery never drafts")


def _deps(db: Database, clock: FrozenClock) -> Deps:
    return Deps(
        settings=Settings(),
        session_factory=db.session_factory,
        clock=clock,
        drafter=_NoDrafter(),  # type: ignore[arg-type]
        poster=RecordingPoster(),
    )


def _queue(
    db: Database,
    now: datetime,
    *,
    key: str = "card:1:send",
    send_after: datetime | None = None,
    shown: bool = True,
) -> int:
    """An automated touch (no card); `shown`: a digest has shown it to its CSM with Cancel."""
    with transaction(db.session_factory) as session:
        if session.get(User, "U1") is None:
            session.add(User(slack_id="U1", name="Ana Lima", role="csm", timezone="UTC", digest_time="08:30"))
            session.flush()  # no relationship() ties the two, so the user must exist first
            session.add(
                Account(
                    account_id="A1",
                    name="Acme Corp",
                    segment="smb",
                    arr=12000.0,
                    owner_slack_id="U1",
                    renewal_date=date(2026, 9, 1),
                    contact_email="ops@acme.test",
                )
            )
            session.flush()
        message = outbox.enqueue(
            session,
            idempotency_key=key,
            account_id="A1",
            card_id=None,
            channel="email",
            recipient="ops@acme.test",
            subject="Checking in",
            body="Hello from your CSM.",
            send_after=send_after or now,
            now=now,
        )
        if shown:
            message.visible_since = now
        return message.id


def test_an_automated_touch_no_digest_has_shown_is_never_sent(
    db: Database, clock: FrozenClock, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    deps = _deps(db, clock)
    message_id = _queue(db, clock.now(), shown=False)
    clock.advance(days=3)
    report = deliver_due(deps, smtp=SmtpSender(f"smtp://127.0.0.1:{port}", "csm@tandem.test"))
    assert report.sent == [] and inbox.messages == []
    with db.session_factory() as session:
        row = session.get(OutboxMessage, message_id)
        assert row is not None and row.state == OutboxState.QUEUED


def test_due_email_is_sent_once_over_smtp(
    db: Database, clock: FrozenClock, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    deps = _deps(db, clock)
    message_id = _queue(db, clock.now())
    sender = SmtpSender(f"smtp://127.0.0.1:{port}", "csm@tandem.test")

    first = deliver_due(deps, smtp=sender)
    second = deliver_due(deps, smtp=sender)

    assert first.sent == [message_id] and second.sent == []
    assert len(inbox.messages) == 1
    assert inbox.messages[0]["Subject"] == "Checking in"  # type: ignore[index]
    with db.session_factory() as session:
        row = session.get(OutboxMessage, message_id)
        assert row is not None and row.state == OutboxState.SENT and row.sent_at == clock.now()


def test_enqueue_twice_with_the_same_key_queues_one_message(db: Database, clock: FrozenClock) -> None:
    first = _queue(db, clock.now())
    second = _queue(db, clock.now())
    assert first == second
    with db.session_factory() as session:
        assert len(list(session.scalars(select(OutboxMessage)))) == 1


def test_message_waits_for_its_hold_window(
    db: Database, clock: FrozenClock, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    deps = _deps(db, clock)
    _queue(db, clock.now(), send_after=clock.now() + timedelta(hours=2))
    sender = SmtpSender(f"smtp://127.0.0.1:{port}", "csm@tandem.test")

    assert deliver_due(deps, smtp=sender).sent == []
    clock.advance(hours=2)
    assert len(deliver_due(deps, smtp=sender).sent) == 1
    assert len(inbox.messages) == 1


def test_unreachable_smtp_keeps_the_message_queued_with_growing_waits_then_gives_up(
    db: Database, clock: FrozenClock
) -> None:
    deps = _deps(db, clock)
    message_id = _queue(db, clock.now())
    dead = SmtpSender(f"smtp://127.0.0.1:{_free_port()}", "csm@tandem.test", timeout=1.0)

    report = deliver_due(deps, smtp=dead)
    assert report.failed == [message_id]
    with db.session_factory() as session:
        row = session.get(OutboxMessage, message_id)
        assert row is not None and row.state == OutboxState.QUEUED
        assert "ConnectionRefused" in (row.last_error or "")
        assert row.send_after == clock.now() + timedelta(seconds=60)  # the first wait
    assert deliver_due(deps, smtp=dead).failed == []  # not due again yet

    waits = []
    while True:
        with db.session_factory() as session:
            row = session.get(OutboxMessage, message_id)
            assert row is not None
        if row.state == OutboxState.FAILED:
            break
        waits.append(row.send_after - clock.now())
        clock.current = row.send_after
        deliver_due(deps, smtp=dead)
    assert row.attempts == deps.settings.outbox_max_attempts
    assert waits[:4] == [timedelta(seconds=s) for s in (60, 120, 240, 480)] and max(waits) == timedelta(
        hours=1
    )
    assert sum(waits, timedelta()) > timedelta(hours=6)  # over hours, not minutes


def test_a_stale_claim_cannot_send(db: Database, clock: FrozenClock) -> None:
    """Two workers read the same queued row; only the first claim wins."""
    message_id = _queue(db, clock.now())
    with transaction(db.session_factory) as session:
        assert outbox.claim_for_sending(session, message_id=message_id, attempts=0, now=clock.now())
    with transaction(db.session_factory) as session:
        assert not outbox.claim_for_sending(session, message_id=message_id, attempts=0, now=clock.now())


def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        _queue(db, datetime(2026, 1, 1, 9, 0))  # naive on purpose
