"""Morning digests: build each CSM's view from storage and post it once per local day.

The digest is the escalation ladder's first rung for `human` and `assist` cards: a card still
waiting since before this digest is marked as a reminder in it, and climbs to "reminded" when
the digest is owed (bot.workflows.ladder takes it on to the manager later).

The digest is also where a CSM sees the automated touches queued on their accounts, each with
Cancel: a touch becomes sendable only once a digest has shown it, and then only after the
hold window has run in the CSM's working hours (bot.working_hours), so the window in which
Cancel works is one the CSM is actually at work for. A terminal preview (no Slack token)
renders the digest and records nothing: it reached no one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, time

from sqlalchemy.exc import IntegrityError

from bot.blocks.digest import DigestView, build_digest_message
from bot.delivery.digests import DigestRenderer, TouchTiming, digest_key
from bot.delivery.engine import deliver_due
from bot.deps import Deps
from bot.workflows.card_messages import deliver_card_messages, remind_in_digest
from bot.workflows.digest_views import build_digest_views, local_now
from storage.db import transaction
from storage.enums import DeliveryKind
from storage.models import DigestRun, User
from storage.repositories import deliveries
from storage.repositories.users import digest_recipients

logger = logging.getLogger(__name__)


@dataclass
class DigestReport:
    posted: list[str] = field(default_factory=list)
    previewed: list[str] = field(default_factory=list)  # rendered in the terminal, recorded nowhere
    skipped_already_posted: list[str] = field(default_factory=list)
    skipped_not_due: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def render(self) -> str:
        return (
            f"digests posted: {len(self.posted)}, "
            + (f"previewed (not posted): {len(self.previewed)}, " if self.previewed else "")
            + "already posted today: "
            f"{len(self.skipped_already_posted)}, not yet due: {len(self.skipped_not_due)}, "
            f"failed: {len(self.failed)}"
        )


def is_due(user: User, now: datetime, default_time: str) -> bool:
    hours, minutes = (int(part) for part in (user.digest_time or default_time).split(":"))
    return local_now(user, now).time() >= time(hours, minutes)


def post_digests(deps: Deps, *, only_user: str | None = None, due_only: bool = False) -> DigestReport:
    """Post each CSM's digest (and every other account owner's) unless it already went out
    today (their local day)."""
    now = deps.clock.now()
    report = DigestReport()
    timing = TouchTiming.from_settings(deps.settings)
    with deps.session_factory() as session:
        users = digest_recipients(session, only_user=only_user)
        views = build_digest_views(session, users=users, now=now, timing=timing)
    for user in users:
        if due_only and not is_due(user, now, deps.settings.default_digest_time):
            report.skipped_not_due.append(user.slack_id)
            continue
        view = views[user.slack_id]
        try:
            _post_once(deps, view, now, report)
        except Exception:  # one CSM's failure must not cost the others their digest
            logger.exception("digest for %s failed", user.slack_id)
            report.failed.append(user.slack_id)
    return report


def _post_once(deps: Deps, view: DigestView, now: datetime, report: DigestReport) -> None:
    text, blocks = build_digest_message(view)
    if deps.poster.is_preview:  # nobody saw it: no claim, and no touch counts as shown
        deps.poster.post(channel=view.user_slack_id, text=text, blocks=blocks)
        report.previewed.append(view.user_slack_id)
        return
    # Claim the (user, day) row first: a second run, a second replica or a restart finds it
    # taken. The digest is then owed like any message: posted once, retried with backoff if
    # Slack refuses it, shown to ops if it never gets through.
    key = digest_key(view.user_slack_id, view.local_day)
    with transaction(deps.session_factory) as session:
        if session.get(DigestRun, (view.user_slack_id, view.local_day)) is not None:
            report.skipped_already_posted.append(view.user_slack_id)
            return
        session.add(DigestRun(user_slack_id=view.user_slack_id, local_day=view.local_day, posted_at=now))
        try:
            session.flush()
        except IntegrityError:
            report.skipped_already_posted.append(view.user_slack_id)
            return
        deliveries.owe(
            session,
            rows=[{"key": key, "kind": DeliveryKind.DIGEST.value, "recipient": view.user_slack_id,
                   "text": text, "blocks": blocks}],
            now=now,
        )  # fmt: skip
        reminded = remind_in_digest(session, recipient=view.user_slack_id, now=now)
    if reminded:
        deliver_card_messages(deps)
    timing = TouchTiming.from_settings(deps.settings)
    run = deliver_due(deps, {DeliveryKind.DIGEST: DigestRenderer(timing)}, key=key)
    if run.delivered:
        report.posted.append(view.user_slack_id)
    else:  # owed still: the scheduler's sweep retries it
        report.failed.append(view.user_slack_id)
