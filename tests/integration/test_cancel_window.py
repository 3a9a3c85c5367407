"""Every automated touch is in front of its CSM, with Cancel, for its whole hold window, inside
their working hours, before it is sent: driven through the scheduler's own jobs and triggers on
a simulated clock, for CSMs in Los Angeles, New York, London, Berlin and Sydney, with the
default settings (cycle 06:00 UTC, a 2-hour hold, digests at 08:30 local, working hours
08:00-18:00 Monday to Friday). One touch per CSM is cancelled a minute before it would go."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select, update

from bot import scheduler
from bot.app_factory import create_app
from bot.clock import FrozenClock
from bot.deps import Deps
from bot.ids import AutoTouchAction
from bot.posting import MessageTag, PostedMessage, SlackPoster
from bot.settings import Settings
from bot.slack_client import make_web_client
from handlers import register_all
from prompts.drafting import TemplateDrafter
from storage.db import transaction
from storage.models import Account, OutboxMessage, User
from storage.synthetic import generate_book
from tests.conftest import Database
from tests.integration.slack_env import SECRET, TOKEN, serving
from tests.support.slack_requests import SlackSender
from tests.support.slack_stand_in import running_stand_in
from tests.support.waiting import wait_for

ZONES = {
    "U0CSM001": "America/Los_Angeles",
    "U0CSM002": "America/New_York",
    "U0CSM003": "Europe/London",
    "U0CSM004": "Europe/Berlin",
    "U0CSM005": "Australia/Sydney",
}
START = datetime(2026, 3, 2, 5, 55, tzinfo=UTC)  # a Monday, five minutes before the daily cycle
END = START + timedelta(hours=44)  # two cycles, and every zone's digests after each
HOLD = timedelta(hours=2)
WORK_START, WORK_END = 8, 18  # the default TANDEM_WORKING_HOURS, Monday to Friday


@dataclass
class Shown:
    at: datetime
    channel: str
    blocks: list[dict[str, Any]]


class _RecordingSlack:
    """The real Slack poster, noting the simulated time of every post (digests included)."""

    is_preview = False

    def __init__(self, inner: SlackPoster, clock: FrozenClock) -> None:
        self.inner, self.clock, self.posts = inner, clock, []  # type: list[Shown]

    def post(self, **kwargs: Any) -> PostedMessage:
        posted = self.inner.post(**kwargs)
        self.posts.append(Shown(self.clock.now(), kwargs["channel"], kwargs["blocks"]))
        return posted

    def update(self, **kwargs: Any) -> None:
        self.inner.update(**kwargs)

    def find_posted(
        self, *, channel: str, tag: MessageTag, since: datetime, thread_ts: str | None = None
    ) -> PostedMessage | None:
        return self.inner.find_posted(channel=channel, tag=tag, since=since, thread_ts=thread_ts)


def _spread_over_five_zones(db: Database) -> None:
    with transaction(db.session_factory) as session:
        for slack_id, zone in ZONES.items():
            user = session.get(User, slack_id)
            if user is None:
                session.add(User(slack_id=slack_id, name=f"CSM {slack_id[-1]}", role="csm", timezone=zone,
                                 digest_time="08:30", manager_slack_id="U0MGR001"))  # fmt: skip
            else:
                user.timezone, user.digest_time = zone, "08:30"
        session.flush()
        # Small accounts (the ones automation handles) dealt out first, so each zone gets its share.
        rows = session.execute(select(Account.account_id, Account.segment)).all()
        ids = [a for a, _ in sorted(rows, key=lambda row: (row[1] not in ("smb", "self_serve"), row[0]))]
        for index, account_id in enumerate(ids):
            owner = list(ZONES)[index % len(ZONES)]
            session.execute(
                update(Account).where(Account.account_id == account_id).values(owner_slack_id=owner)
            )


def _deal_touches_over_the_zones(db: Database) -> bool:
    """Once the first cycle has queued its automated touches (before any digest shows them), give
    their accounts to the five CSMs in turn, so every zone has touches to check. Routing does not
    depend on the owner, so this changes nothing else about them."""
    with transaction(db.session_factory) as session:
        queued = sorted(
            set(session.scalars(select(OutboxMessage.account_id).where(
                OutboxMessage.card_id.is_(None), OutboxMessage.state == "queued")))
        )  # fmt: skip
        if not queued:
            return False
        for index, account_id in enumerate(queued):
            owner = list(ZONES)[index % len(ZONES)]
            session.execute(
                update(Account).where(Account.account_id == account_id).values(owner_slack_id=owner)
            )
    return True


def _working_minutes(start: datetime, end: datetime, zone: str) -> int:
    """Minutes of Monday-Friday 08:00-18:00 local time between two moments (counted one by one)."""
    local_zone, minutes, moment = ZoneInfo(zone), 0, start
    while moment < end:
        local = moment.astimezone(local_zone)
        minutes += local.weekday() < 5 and WORK_START <= local.hour < WORK_END
        moment += timedelta(minutes=1)
    return minutes


def _cancel_values(blocks: list[dict[str, Any]]) -> set[str]:
    return {
        str(block["accessory"]["value"])
        for block in blocks
        if block.get("accessory", {}).get("action_id") == AutoTouchAction.CANCEL
    }


def _drive(
    jobs: list[Any], clock: FrozenClock, until: datetime, before_each: Callable[[datetime], None]
) -> None:
    """Fire the registered jobs in time order by their own triggers, moving the clock to each fire
    time (interval jobs every interval from the start; the cycle by its cron trigger)."""
    due: dict[str, datetime] = {}
    for job in jobs:
        trigger = job.trigger
        due[job.id] = (
            clock.now() + trigger.interval
            if isinstance(trigger, IntervalTrigger)
            else trigger.get_next_fire_time(None, clock.now())
        )
    order = [job.id for job in jobs]
    by_id = {job.id: job for job in jobs}
    while True:
        job_id = min(due, key=lambda key: (due[key], order.index(key)))
        at = due[job_id]
        if at >= until:
            return
        before_each(at)
        clock.current = at
        by_id[job_id].func()
        trigger = by_id[job_id].trigger
        due[job_id] = (
            at + trigger.interval
            if isinstance(trigger, IntervalTrigger)
            else trigger.get_next_fire_time(at, at + timedelta(microseconds=1))
        )


def test_every_automated_touch_is_visible_with_cancel_for_its_whole_hold_in_working_hours(
    sqlite_db: Database,
) -> None:
    # 44 simulated hours fire the jobs about 5,500 times: on SQLite about a minute; the timing
    # logic does not depend on the backend (PostgreSQL's delivery races have their own tests).
    db = sqlite_db
    generate_book(db.session_factory, accounts=200, seed=5, as_of=START.date())
    _spread_over_five_zones(db)
    clock = FrozenClock(START)
    with running_stand_in() as api:
        settings = Settings(SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=api.api_url)  # type: ignore[call-arg]
        slack = _RecordingSlack(SlackPoster(make_web_client(token=TOKEN, api_url=api.api_url)), clock)
        deps = Deps(settings, db.session_factory, clock, TemplateDrafter(), slack)
        app = create_app(deps)
        register_all(app, deps)
        running = scheduler.start_scheduler(deps, db.engine, paused=True)
        try:
            jobs = running.get_jobs()
            with serving(app, db.session_factory) as server:
                sender = SlackSender(f"http://127.0.0.1:{server.port}/slack/events", SECRET)
                clicked: dict[int, str] = {}

                dealt: list[bool] = []

                def cancel_one_per_csm_just_before_it_goes(at: datetime) -> None:
                    """A CSM's Cancel still works a minute before the send: click it then."""
                    if not dealt and _deal_touches_over_the_zones(db):  # right after the first cycle
                        dealt.append(True)
                    with db.session_factory() as session:
                        shown = session.execute(
                            select(OutboxMessage.id, OutboxMessage.send_after, Account.owner_slack_id)
                            .join(Account, Account.account_id == OutboxMessage.account_id)
                            .where(OutboxMessage.state == "queued", OutboxMessage.visible_since.is_not(None),
                                   OutboxMessage.card_id.is_(None))
                        ).all()  # fmt: skip
                    for outbox_id, send_after, owner in shown:
                        if owner in clicked.values() or at < send_after:
                            continue
                        clock.current = send_after - timedelta(minutes=1)
                        hook = f"cancel-{outbox_id}"
                        sender.block_action(AutoTouchAction.CANCEL, str(outbox_id), user_id=owner,
                                            channel_id="D" + owner[1:], message_ts="1.1",
                                            response_url=api.response_url(hook))  # fmt: skip
                        wait_for(lambda hook=hook: api.responses_at(hook))
                        clicked[outbox_id] = owner

                _drive(jobs, clock, END, cancel_one_per_csm_just_before_it_goes)
        finally:
            running.shutdown(wait=False)

    with db.session_factory() as session:
        touches = session.execute(
            select(OutboxMessage, Account.owner_slack_id)
            .join(Account, Account.account_id == OutboxMessage.account_id)
            .where(
                OutboxMessage.card_id.is_(None), OutboxMessage.created_at >= START
            )  # not the book's history
        ).all()
    owners_with_touches = {owner for _, owner in touches}
    assert owners_with_touches == set(ZONES), "every time zone must have automated touches to check"
    sent = [(touch, owner) for touch, owner in touches if touch.state == "sent"]
    assert sent and all(touch.state in ("sent", "cancelled") for touch, _ in touches)
    for touch, owner in sent:
        zone = ZONES[owner]
        digests = [p for p in slack.posts if p.channel == owner and str(touch.id) in _cancel_values(p.blocks)]
        assert digests, f"touch {touch.id} for {zone} was sent without a digest showing it with Cancel"
        first_shown = digests[0].at
        assert first_shown < touch.sent_at
        worked = _working_minutes(first_shown, touch.sent_at, zone)
        assert worked >= HOLD.total_seconds() / 60, (
            f"{zone}: shown {first_shown}, sent {touch.sent_at}: only {worked} working minutes with Cancel"
        )
        sent_local = touch.sent_at.astimezone(ZoneInfo(zone))
        minute = sent_local.hour * 60 + sent_local.minute
        # Within working hours (the outbox drains once a minute, so allow that minute at closing).
        assert sent_local.weekday() < 5 and WORK_START * 60 <= minute <= WORK_END * 60 + 1, (
            f"{zone}: {sent_local}"
        )
    assert set(clicked.values()) == set(ZONES)
    for outbox_id, owner in clicked.items():
        told = api.responses_at(f"cancel-{outbox_id}")[-1].body["text"]
        assert "will not be sent" in told, f"{ZONES[owner]}: {told}"
    cancelled = {touch.id for touch, _ in touches if touch.state == "cancelled"}
    assert set(clicked) <= cancelled
