"""APScheduler in the `serve` process: the daily cycle, the digests, the outbox, Slack deliveries,
the escalation ladder and snooze wake-ups, the quarterly automation-mix review and Monday's
trigger tuning.

Jobs are persisted through SQLAlchemy (table `scheduler_jobs`), so a restart keeps the
schedule. Persisted jobs must reference module-level functions, so the running Deps live in
a module-level slot set by `start_scheduler`.

Digests are not one cron job per user: a job every few minutes posts each CSM's digest once
their local morning time has passed, and the (user, local day) claim in `digest_runs` makes
it happen once, across restarts and replicas. With several replicas on PostgreSQL, an
advisory lock per job lets one of them run the cycle and the digests; the others skip.

The deliveries job sweeps what Tandem still owes in Slack every minute: cards whose post
failed or was interrupted (a stale claim), notices and hand-off packets due for a retry. The
hand-back job, every half hour, reminds whoever has held an account nearly
`attention.hand_back_days` and hands back the holds that ran out. Every row is claimed, so
replicas may all sweep; no lock is needed.
"""

from __future__ import annotations

import logging
import time

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from bot.delivery.notices import alert_ops
from bot.deps import Deps
from bot.outreach import SmtpSender, deliver_due
from bot.tuning import mix_review
from bot.workflows.assistant_delivery import deliver_answers
from bot.workflows.card_posting import post_owed_cards
from bot.workflows.click_inbox import decide_stale
from bot.workflows.cycle import run_cycle
from bot.workflows.digest import post_digests
from bot.workflows.hand_off.hand_back import run_hand_backs
from bot.workflows.hand_off.packet import deliver_packets
from bot.workflows.ladder import run_ladder
from bot.workflows.tuning_message import drift_watch, weekly_tuning
from scoring.learning.automation_mix import Quarter
from storage.locks import DAILY_CYCLE_LOCK, try_job_lock

logger = logging.getLogger(__name__)
JOBS_TABLE = "scheduler_jobs"
TUNING_LOCK = "trigger-tuning"
HAND_BACK_LOCK = "hand-backs"
HAND_BACK_CHECK_MINUTES = 30
DIGEST_CHECK_MINUTES = 5
LADDER_MINUTES = 5

_running: Deps | None = None


def _deps() -> Deps:
    if _running is None:
        raise RuntimeError("scheduler job ran before start_scheduler set its dependencies")
    return _running


def daily_cycle_job() -> None:
    deps = _deps()
    with try_job_lock(deps.session_factory.kw["bind"], DAILY_CYCLE_LOCK) as mine:
        if not mine:
            logger.info("daily cycle skipped: another replica is running it")
            return
        as_of = deps.clock.now().date()
        try:
            summary = run_cycle(deps, as_of=as_of)
        except Exception as error:  # the run is lost for today unless someone looks: tell ops
            logger.exception("daily cycle for %s failed", as_of)
            alert_ops(deps, key=f"cycle-failed:{as_of.isoformat()}",
                      text=f"The daily cycle for {as_of.isoformat()} failed: {type(error).__name__}: {error}")  # fmt: skip
            return
    logger.info("daily cycle done\n%s", summary.render())
    if summary.problems:
        alert_ops(deps, key=f"cycle-problems:{as_of.isoformat()}",
                  text=f"The daily cycle for {as_of.isoformat()} finished with problems: {'; '.join(summary.problems)}.")  # fmt: skip


def digest_job() -> None:
    deps = _deps()
    with try_job_lock(deps.session_factory.kw["bind"], "digests") as mine:
        if not mine:
            return  # another replica is posting; the per-day claim would stop a double anyway
        report = post_digests(deps, due_only=True)
    if report.posted or report.failed:
        logger.info(report.render())


def outbox_job() -> None:
    deps = _deps()
    smtp = SmtpSender(deps.settings.smtp_url, deps.settings.outreach_from) if deps.settings.smtp_url else None
    report = deliver_due(deps, smtp=smtp)
    if report.sent or report.failed:
        logger.info(report.render())


def quarterly_review_job() -> None:
    """The automation-mix review of the quarter just ended, to ops and the managers (once each)."""
    deps = _deps()
    quarter = Quarter.last_complete(deps.clock.now().date())
    people = mix_review.post_review(deps, mix_review.build_review(deps, quarter=quarter))
    logger.info("automation-mix review for %s posted to %s people", quarter, people)


def tuning_job() -> None:
    """Monday's trigger tuning: proposals from the override log, owed to ops once in Slack."""
    deps = _deps()
    with try_job_lock(deps.session_factory.kw["bind"], TUNING_LOCK) as mine:
        if not mine:
            logger.info("trigger tuning skipped: another replica is running it")
            return
        as_of = deps.clock.now().date()
        try:
            owed = weekly_tuning(deps, as_of=as_of)
        except Exception as error:  # no proposals this week unless someone looks: tell ops
            logger.exception("trigger tuning for %s failed", as_of)
            alert_ops(deps, key=f"tuning-failed:{as_of.isoformat()}",
                      text=f"Trigger tuning for {as_of.isoformat()} failed: {type(error).__name__}: {error}")  # fmt: skip
            return
    logger.info(
        "trigger tuning for %s: %s", as_of, f"owed to {owed.recipients} people" if owed.key else "nothing new"
    )


def drift_job() -> None:
    """Tuesday to Sunday: a drifted cell re-runs the proposals at once instead of next Monday."""
    deps = _deps()
    with try_job_lock(deps.session_factory.kw["bind"], TUNING_LOCK) as mine:
        if not mine:
            return
        as_of = deps.clock.now().date()
        try:
            owed = drift_watch(deps, as_of=as_of)
        except Exception as error:  # the next Monday's run still comes; ops should know now
            logger.exception("drift check for %s failed", as_of)
            alert_ops(deps, key=f"drift-failed:{as_of.isoformat()}",
                      text=f"The drift check for {as_of.isoformat()} failed: {type(error).__name__}: {error}")  # fmt: skip
            return
    if owed is not None:
        logger.info("drift on %s re-ran trigger tuning: %s", as_of, "told ops" if owed.key else "nothing new")


def deliveries_job() -> None:
    deps = _deps()
    decide_stale(deps)  # clicks acked by a listener that is gone (bot.workflows.click_inbox)
    run = post_owed_cards(deps)
    run.merge(deliver_packets(deps))  # a take-over's hand-off packet whose post failed or was retried
    run.merge(deliver_answers(deps))  # an assistant's answer Slack refused at first
    if run.sent or run.adopted or run.failed or run.retrying:
        logger.info(run.render())


def hand_back_job() -> None:
    """Held accounts: remind the holders whose hold runs low, hand back the holds that ran out."""
    deps = _deps()
    with try_job_lock(deps.session_factory.kw["bind"], HAND_BACK_LOCK) as mine:
        if not mine:
            return  # another replica is on it; the guarded updates would stop a double anyway
        run = run_hand_backs(deps)
    if run.reminded or run.handed_back:
        logger.info("hand-backs: %s reminded, %s handed back", len(run.reminded), len(run.handed_back))


def ladder_job() -> None:
    """Every few minutes: snoozed cards due back wake, unanswered cards climb (bot.workflows.ladder).
    Every step is a guarded update, so replicas running it at once owe each step once."""
    run = run_ladder(_deps())
    if run.woke or run.to_manager or run.to_channel or run.stuck:
        logger.info(run.render())


def conversation_purge_job() -> None:
    """Daily: message text past its retention date goes; only the derived signals stay. Every
    batch is a guarded update, so replicas running it at once purge each text once."""
    from bot.workflows.channels.retention import purge_due

    purge_due(_deps())


def cycle_time(text: str) -> tuple[int, int, int]:
    """HH:MM, or HH:MM:SS (the replica tests start the cycle seconds after start-up)."""
    parts = [int(part) for part in text.split(":")]
    return parts[0], parts[1], parts[2] if len(parts) > 2 else 0


def create_jobs_table(store: SQLAlchemyJobStore, engine: Engine, *, attempts: int = 5) -> None:
    """The job store's table, made before the scheduler starts. Replicas starting at once on a
    fresh database race to CREATE it; PostgreSQL refuses the loser (a unique violation on its
    catalog), which then finds the winner's table on the next look instead of failing to start."""
    for attempt in range(attempts):
        try:
            store.jobs_t.create(engine, checkfirst=True)
            return
        except DBAPIError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


def start_scheduler(deps: Deps, engine: Engine, *, paused: bool = False) -> BackgroundScheduler:
    """Register the jobs and start; `paused` registers them without running any (tests drive
    the jobs by their own triggers on a simulated clock)."""
    global _running
    _running = deps
    settings = deps.settings.scheduler
    hour, minute, second = cycle_time(settings.cycle_time_utc)
    store = SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)
    create_jobs_table(store, engine)
    scheduler = BackgroundScheduler(
        jobstores={"default": store},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone="UTC",
    )
    scheduler.add_job(
        "bot.scheduler:daily_cycle_job",
        "cron",
        hour=hour,
        minute=minute,
        second=second,
        id="daily-cycle",
        replace_existing=True,
    )
    scheduler.add_job(
        "bot.scheduler:digest_job",
        "interval",
        minutes=DIGEST_CHECK_MINUTES,
        id="digests",
        replace_existing=True,
    )
    scheduler.add_job(
        "bot.scheduler:outbox_job",
        "interval",
        seconds=settings.outbox_interval_seconds,
        id="outbox",
        replace_existing=True,
    )
    scheduler.add_job(
        "bot.scheduler:deliveries_job",
        "interval",
        seconds=settings.delivery_sweep_seconds,
        id="slack-deliveries",
        replace_existing=True,
    )
    scheduler.add_job(
        "bot.scheduler:hand_back_job",
        "interval",
        minutes=HAND_BACK_CHECK_MINUTES,
        id="hand-backs",
        replace_existing=True,
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        "bot.scheduler:ladder_job",
        "interval",
        minutes=LADDER_MINUTES,
        id="escalation-ladder",
        replace_existing=True,
    )
    scheduler.add_job(
        "bot.scheduler:quarterly_review_job",
        "cron",
        month="1,4,7,10",
        day=1,
        hour=(hour + 2) % 24,
        minute=minute,
        id="quarterly-review",
        replace_existing=True,
    )
    scheduler.add_job(
        "bot.scheduler:tuning_job",
        "cron",
        day_of_week="mon",
        hour=(hour + 1) % 24,  # after the daily cycle, so Monday's decisions are in the log
        minute=minute,
        id="trigger-tuning",
        replace_existing=True,
    )
    scheduler.add_job(
        "bot.scheduler:drift_job",
        "cron",
        day_of_week="tue-sun",
        hour=(hour + 1) % 24,
        minute=minute,
        id="tuning-drift",
        replace_existing=True,
    )
    scheduler.add_job(
        "bot.scheduler:conversation_purge_job",
        "cron",
        hour=(hour + 3) % 24,
        minute=minute,
        id="conversation-purge",
        replace_existing=True,
    )
    scheduler.start(paused=paused)
    return scheduler
