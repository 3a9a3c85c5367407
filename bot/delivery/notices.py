"""Notices: short Slack messages Tandem owes a person (an escalation to a manager, a
circuit-breaker alert to ops, a delivery failure to ops, an exception offer to an owner, the
weekly trigger-tuning proposals to ops, a calibration proposal to ops, a hand-back reminder
to whoever holds an account), one row per recipient.

A notice is stored with its text and blocks when it becomes owed, keyed so a rerun owes it
once, and delivered by the engine: claimed, posted once, retried with backoff, and, when it
fails for good, shown to ops (in a notice of its own and on App Home).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock
from sqlalchemy.orm import Session

from bot.blocks.mrkdwn import escape, truncate
from bot.delivery.calibration import CALIBRATION_RENDERERS
from bot.delivery.digests import DigestRenderer, TouchTiming
from bot.delivery.engine import DeliveryRun, Rendered, Renderer, deliver_due
from bot.delivery.failures import tell_ops_of_failures
from bot.deps import Deps
from bot.posting import PostedMessage
from storage.db import transaction
from storage.enums import DeliveryKind
from storage.models import SlackDelivery
from storage.repositories import deliveries, users

NOTICE_KINDS = (
    DeliveryKind.ESCALATION_NOTICE,
    DeliveryKind.BREAKER_ALERT,
    DeliveryKind.DELIVERY_FAILED,
    DeliveryKind.OPS_ALERT,
    DeliveryKind.EXCEPTION_OFFER,
    DeliveryKind.TUNING,
    DeliveryKind.CALIBRATION,
    DeliveryKind.DM_HELP,
    DeliveryKind.HAND_BACK,
    DeliveryKind.CHANNEL_PROPOSAL,
)


class NoticeRenderer:
    """A notice posts what was stored when it became owed; nothing follows its post."""

    def render(self, session: Session, row: SlackDelivery) -> Rendered | str:
        return Rendered(row.text, list(row.blocks or []))

    def after_sent(self, session: Session, row: SlackDelivery, posted: PostedMessage, now: datetime) -> None:
        return None


# A calibration proposal's message is rendered from the proposal's state and owes its chart.
NOTICE_RENDERERS: dict[DeliveryKind, Renderer] = {kind: NoticeRenderer() for kind in NOTICE_KINDS}
NOTICE_RENDERERS |= CALIBRATION_RENDERERS


def owe_notice(
    session: Session,
    *,
    key: str,
    kind: DeliveryKind,
    recipients: Sequence[str],
    text: str,
    blocks: list[dict[str, Any]],
    now: datetime,
) -> None:
    """Owe the same notice to each recipient, once each (`key` names the notice)."""
    rows = [
        {
            "key": f"{key}:{recipient}",
            "kind": kind.value,
            "recipient": recipient,
            "text": text,
            "blocks": blocks,
        }
        for recipient in recipients
    ]
    deliveries.owe(session, rows=rows, now=now)


def deliver_notices(deps: Deps) -> DeliveryRun:
    """Deliver every notice due now; then tell ops of anything that failed for good. A terminal
    preview shows the notices still owed and records nothing."""
    if deps.poster.is_preview:
        preview_notices(deps)
        return DeliveryRun()
    # Digests that Slack refused when they fell due are retried here too.
    digests = DigestRenderer(TouchTiming.from_settings(deps.settings))
    run = deliver_due(deps, {**NOTICE_RENDERERS, DeliveryKind.DIGEST: digests})
    if run.delivered:  # what a post owes in turn (a calibration message's chart) goes out now too
        chart = DeliveryKind.CALIBRATION_CHART
        run.merge(deliver_due(deps, {chart: NOTICE_RENDERERS[chart]}))
    if tell_ops_of_failures(deps):
        run.merge(
            deliver_due(deps, {DeliveryKind.DELIVERY_FAILED: NOTICE_RENDERERS[DeliveryKind.DELIVERY_FAILED]})
        )
    return run


def preview_notices(deps: Deps) -> int:
    with deps.session_factory() as session:
        owed = deliveries.queued_previews(session, kinds=NOTICE_KINDS)
    for row in owed:
        deps.poster.post(channel=row.recipient, text=row.text, blocks=list(row.blocks or []))
    return len(owed)


def alert_ops(deps: Deps, *, key: str, text: str) -> None:
    """Tell every ops user (admins when there is none) something went wrong, once per `key`."""
    now = deps.clock.now()
    with transaction(deps.session_factory) as session:
        recipients = users.ops_recipients(session)
        blocks = [SectionBlock(text=MarkdownTextObject(text=truncate(f"⚠️ {escape(text)}", 3000))).to_dict()]
        owe_notice(
            session,
            key=key,
            kind=DeliveryKind.OPS_ALERT,
            recipients=recipients,
            text=text,
            blocks=blocks,
            now=now,
        )
    deliver_notices(deps)
