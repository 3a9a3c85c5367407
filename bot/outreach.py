"""Outreach delivery: drain the outbox, sending each message exactly once.

Channels: `record` (logged only; the default when nothing is configured), `email` (SMTP when
SMTP_URL is set, otherwise recorded), `slack` (the account's shared channel). A message is
claimed with a guarded update before it is sent, so two workers never send the same row.

A failed send is retried with exponential backoff over hours (TANDEM_OUTBOX_*), then fails
visibly (bot.delivery.outreach_failures: ops is told, the CSM's digest lists it, both with
Retry). A message stuck in `sending` (its worker died mid-send) is reconciled after a timeout:
resent with its original Message-ID, so a receiving server can drop the copy, and marked a
possible duplicate for ops. At most once never becomes never.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from urllib.parse import unquote, urlparse

from sqlalchemy.orm import Session

from bot.delivery.engine import retry_delay
from bot.delivery.outreach_failures import tell_ops_of_failed_outreach
from bot.deps import Deps
from bot.posting import MessagePoster
from bot.workflows.cycle import active_trigger_config
from scoring.config import TriggerConfig
from scoring.routing import hard_rules
from scoring.types import Route, Signal, TriggerKey
from storage.db import transaction
from storage.models import OutboxMessage
from storage.models import Signal as SignalRow
from storage.repositories import engagement, outbox, overrides
from storage.repositories.facts import load_account_facts

logger = logging.getLogger(__name__)
AUTOMATION_ACTOR = "tandem"  # the override log's actor for what automation did by itself


@dataclass
class DeliveryReport:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)  # automated touches stopped at send time

    def render(self) -> str:
        return f"outbox: {len(self.sent)} sent, {len(self.failed)} failed, {len(self.held)} held at send time"


class SmtpSender:
    """Sends via the SMTP server in a URL: smtp://user:pass@host:port (smtps:// for TLS)."""

    def __init__(self, url: str, sender: str, timeout: float = 10.0) -> None:
        self._url = urlparse(url)
        self._sender = sender
        self._timeout = timeout

    def send(self, *, to: str, subject: str, body: str, message_id: str) -> None:
        email = EmailMessage()
        email["From"] = self._sender
        email["To"] = to
        email["Subject"] = subject
        # A stable Message-ID lets the receiving side drop a duplicate if one ever slips out.
        email["Message-ID"] = f"<{message_id}@tandem>"
        email.set_content(body)
        host, port = self._url.hostname or "localhost", self._url.port
        smtp_class = smtplib.SMTP_SSL if self._url.scheme == "smtps" else smtplib.SMTP
        with smtp_class(
            host, port or (465 if self._url.scheme == "smtps" else 25), timeout=self._timeout
        ) as smtp:
            if self._url.username:
                smtp.login(unquote(self._url.username), unquote(self._url.password or ""))
            smtp.send_message(email)


def deliver_due(deps: Deps, *, smtp: SmtpSender | None = None, limit: int = 100) -> DeliveryReport:
    report = DeliveryReport()
    settings = deps.settings
    now = deps.clock.now()
    stale_before = now - timedelta(seconds=settings.outbox_stale_seconds)
    with deps.session_factory() as session:
        due = outbox.due_messages(session, now=now, stale_before=stale_before, limit=limit)
    config = active_trigger_config(deps)[1] if any(m.card_id is None for m in due) else None
    for message in due:
        with transaction(deps.session_factory) as session:
            if message.card_id is None and config is not None:
                paused = automation_paused(session, message, now=now, config=config)
                if paused is not None:
                    if outbox.cancel(session, message_id=message.id):
                        overrides.record_automated(
                            session,
                            message=message,
                            action="held",
                            actor=AUTOMATION_ACTOR,
                            now=now,
                            reason=paused,
                        )
                        report.held.append(message.id)
                    continue
            if not outbox.claim_for_sending(
                session, message_id=message.id, attempts=message.attempts, now=now, stale_before=stale_before
            ):
                continue  # another worker has it
        try:
            _send(message, smtp=smtp, poster=deps.poster)
        except Exception as error:  # a failed send is retried later, never lost
            attempts = message.attempts + 1
            give_up = attempts >= settings.outbox_max_attempts
            delay = retry_delay(
                attempts,
                base_seconds=settings.outbox_retry_base_seconds,
                max_seconds=settings.outbox_retry_max_seconds,
            )
            logger.warning("outbox message %s failed (attempt %s%s): %s", message.id, attempts,
                           ", the last" if give_up else f", retrying in {delay}", error)  # fmt: skip
            with transaction(deps.session_factory) as session:
                outbox.mark_failed(
                    session,
                    message_id=message.id,
                    error=f"{type(error).__name__}: {error}",
                    give_up=give_up,
                    retry_at=deps.clock.now() + delay,
                )
            report.failed.append(message.id)
            continue
        with transaction(deps.session_factory) as session:
            outbox.mark_sent(session, message_id=message.id, now=deps.clock.now())
            if (message.channel == "email" and smtp is not None) or message.channel == "slack":
                # What really reached the customer counts in their reply rate, as imported outreach does.
                engagement.record_outreach_sent(session, account_id=message.account_id, at=deps.clock.now())
            if message.card_id is None:  # an automated touch: logged like any other decision
                overrides.record_automated(
                    session, message=message, action="auto_sent", actor=AUTOMATION_ACTOR, now=deps.clock.now()
                )
        report.sent.append(message.id)
    tell_ops_of_failed_outreach(deps)  # also catches a failure whose telling a restart cut short
    return report


def automation_paused(
    session: Session, message: OutboxMessage, *, now: datetime, config: TriggerConfig
) -> str | None:
    """Why an automated touch must not go out now, or None. The same hard rules that route a
    signal are checked again at send time: a security incident recorded, a CSM's veto, a take
    over or a complexity indicator since the touch was queued each stop it."""
    lookback = max(config.routing.crisis_lookback_days, config.confidence.data_quality_lookback_days)
    found = load_account_facts(
        session, as_of=now.date(), window_days=lookback, account_ids=[message.account_id]
    )
    signal = session.get(SignalRow, message.signal_id) if message.signal_id else None
    if not found:
        return "The account no longer exists."
    trigger = TriggerKey(signal.trigger) if signal else TriggerKey.HEALTH_LOW
    decision = hard_rules(found[0], Signal(message.account_id, trigger, ""), as_of=now.date(), config=config)
    if decision is None or decision.route is Route.AUTO:
        return None
    return "Held at send time: " + decision.reason_sentence


def _send(message: OutboxMessage, *, smtp: SmtpSender | None, poster: MessagePoster) -> None:
    if message.channel == "email" and smtp is not None:
        smtp.send(
            to=message.recipient,
            subject=message.subject,
            body=message.body,
            message_id=message.idempotency_key.replace(":", "."),
        )
    elif message.channel == "slack":
        poster.post(channel=message.recipient, text=message.body, blocks=[])
    else:
        logger.info("outreach recorded (not sent) for %s: %s", message.account_id, message.subject)
