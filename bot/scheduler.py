"""APScheduler in the `serve` process: the daily cycle, the digests, the outbox.

Jobs are persisted through SQLAlchemy (table `scheduler_jobs`), so a restart keeps the
schedule. Persisted jobs must reference module-level functions, so the running Deps live in
a module-level slot set by `start_scheduler`.

Digests are not one cron job per user: a job every few minutes posts each CSM's digest once
their local morning time has passed, and the (user, local day) claim in `digest_runs` makes
it happen once, across restarts and replicas. With several replicas on PostgreSQL, an
advisory lock per job lets one of them run the cycle and the digests; the others skip.
"""

from __future__ import annotations

import logging

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine

from bot.deps import Deps
from bot.outreach import SmtpSender, deliver_due
from bot.workflows.cycle import run_cycle
from bot.workflows.digest import post_digests
from storage.locks import try_job_lock

logger = logging.getLogger(__name__)
JOBS_TABLE = "scheduler_jobs"
DIGEST_CHECK_MINUTES = 5

_running: Deps | None = None


def _deps() -> Deps:
    if _running is None:
        raise RuntimeError("scheduler job ran before start_scheduler set its dependencies")
    return _running


def daily_cycle_job() -> None:
    deps = _deps()
    with try_job_lock(deps.session_factory.kw["bind"], "daily-cycle") as mine:
        if not mine:
            logger.info("daily cycle skipped: another replica is running it")
            return
        summary = run_cycle(deps, as_of=deps.clock.now().date())
    logger.info("daily cycle done\n%s", summary.render())


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


def start_scheduler(deps: Deps, engine: Engine) -> BackgroundScheduler:
    global _running
    _running = deps
    settings = deps.settings.scheduler
    hour, minute = (int(part) for part in settings.cycle_time_utc.split(":"))
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone="UTC",
    )
    scheduler.add_job(
        "bot.scheduler:daily_cycle_job",
        "cron",
        hour=hour,
        minute=minute,
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
    scheduler.start()
    return scheduler
