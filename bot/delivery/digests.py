"""The morning digest as a delivery: owed once per person and local day, posted once, retried.

A digest is built when it falls due and stored with its delivery row, so a retry hours later
posts the digest of that morning. Its post settles what a digest promises: the day's
DigestRun records the message, and every automated touch it shows with **Cancel** starts its
hold window then (not when the digest was built, and never if it was not delivered).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.delivery.engine import Rendered
from bot.ids import AutoTouchAction
from bot.posting import PostedMessage
from bot.settings import Settings
from bot.working_hours import WorkingHours, add_working_time, zone_of
from storage.models import DigestRun, SlackDelivery, User
from storage.repositories import outbox


@dataclass(frozen=True)
class TouchTiming:
    """When an automated touch shown now may go out: after `hold` of the CSM's working time."""

    hold: timedelta
    hours: WorkingHours

    @classmethod
    def from_settings(cls, settings: Settings) -> TouchTiming:
        return cls(timedelta(minutes=settings.auto_send_hold_minutes), settings.hours)

    def sendable(self, shown_at: datetime, user: User) -> datetime:
        return add_working_time(shown_at, self.hold, zone_of(user.timezone), self.hours)


def digest_key(user_slack_id: str, local_day: date) -> str:
    return f"digest:{user_slack_id}:{local_day.isoformat()}"


def touches_shown(blocks: list[dict[str, Any]]) -> list[int]:
    """The automated touches a digest's blocks offer to cancel."""
    return [
        int(block["accessory"]["value"])
        for block in blocks
        if (block.get("accessory") or {}).get("action_id") == AutoTouchAction.CANCEL
    ]


class DigestRenderer:
    def __init__(self, timing: TouchTiming) -> None:
        self._timing = timing

    def render(self, session: Session, row: SlackDelivery) -> Rendered | str:
        return Rendered(row.text, list(row.blocks or []))

    def after_sent(self, session: Session, row: SlackDelivery, posted: PostedMessage, now: datetime) -> None:
        _, user_id, day = row.key.split(":", 2)
        run = session.get(DigestRun, (user_id, date.fromisoformat(day)))
        if run is not None:
            run.channel_id, run.message_ts, run.posted_at = posted.channel_id, posted.ts, now
        user = session.get(User, user_id)
        if user is not None:  # the touches shown with Cancel start their hold now, in working hours
            blocks = list(row.blocks or [])
            outbox.mark_shown(
                session, message_ids=touches_shown(blocks), at=now, sendable=self._timing.sendable(now, user)
            )
