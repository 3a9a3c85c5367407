"""Tandem's composition root and command line.

Builds settings, the engine, the Slack client and the Bolt app, registers the handlers, and
runs one command. Nothing here holds business logic: each command calls a workflow.
Run `tandem --help` (the console script installed with the package) or `python app.py --help`
for the commands.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TextIO

from bot.clock import Clock, SystemClock
from bot.deps import Deps
from bot.log_format import configure_logging
from bot.metrics import Metrics
from bot.posting import MessagePoster, SlackPoster, TerminalPoster
from bot.settings import Settings, get_settings
from storage.db import make_engine, make_session_factory, upgrade
from storage.schema_state import SchemaNotCurrent, require_current_schema

logger = logging.getLogger("tandem")


def build_deps(
    settings: Settings,
    *,
    clock: Clock | None = None,
    poster: MessagePoster | None = None,
    out: TextIO = sys.stdout,
    migrate: bool = True,
) -> Deps:
    """Wire the real components; a missing Slack token means 'render to the terminal'.

    The schema: in development every command upgrades it (a fresh SQLite file just works); in
    production (TANDEM_ENV=production) only `db upgrade` changes it, and every other command
    refuses a schema that is not current (`SchemaNotCurrent`)."""
    from prompts.drafting import make_drafter

    engine = make_engine(settings.database_url, connect_timeout_seconds=settings.db_connect_timeout_seconds)
    if settings.environment == "production":
        require_current_schema(engine)
    elif migrate:
        upgrade(engine)  # every command works on a fresh SQLite file by itself
    metrics = Metrics()  # this process's figures, on its own registry (GET /metrics)
    if poster is None:
        poster = _default_poster(settings, out, metrics)
    llm = settings.llm
    drafter = make_drafter(
        api_key=llm.api_key.get_secret_value() if llm.api_key else None,
        base_url=llm.base_url,
        model=llm.model,
        timeout_seconds=llm.timeout_seconds,
        max_retries=llm.max_retries,
        max_concurrency=llm.max_concurrency,
        breaker_failures=llm.breaker_failures,
        breaker_cooldown_seconds=llm.breaker_cooldown_seconds,
        input_price_per_mtok=llm.input_price_per_mtok,
        output_price_per_mtok=llm.output_price_per_mtok,
        observer=metrics,
    )
    return Deps(
        settings=settings,
        session_factory=make_session_factory(engine),
        clock=clock or SystemClock(),
        drafter=drafter,
        poster=poster,
        metrics=metrics,
    )


def _default_poster(settings: Settings, out: TextIO, metrics: Metrics | None = None) -> MessagePoster:
    if settings.slack_bot_token is None:
        return TerminalPoster(out=out)
    from bot.delivery.pacing import SlackPacing
    from bot.slack_client import make_web_client

    pacing = SlackPacing(settings.pacing)  # one per process: every posting thread shares it
    token = settings.slack_bot_token.get_secret_value()
    return SlackPoster(
        make_web_client(token=token, api_url=settings.slack_api_url, pacing=pacing, metrics=metrics),
        pacing=pacing,
    )


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not an ISO date (YYYY-MM-DD): {text!r}") from error


def positive_days(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 3650:
        raise argparse.ArgumentTypeError(f"not a number of days from 1 to 3650: {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    # prog: the name it was run by (`tandem`, or `app.py` for `python app.py`).
    parser = argparse.ArgumentParser(description="Tandem: a Slack-first assistant for CSMs.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("demo", help="seed a SQLite book, run one cycle, render what would be posted")
    commands.add_parser("serve", help="run the Slack app (Socket Mode or HTTP) with the scheduler")
    seed = commands.add_parser("seed", help="write a reproducible synthetic book of business")
    seed.add_argument("--accounts", type=int, default=200)
    seed.add_argument("--seed", type=int, default=7)
    seed.add_argument("--as-of", type=parse_day, default=None)
    seed.add_argument("--replace", action="store_true", help="delete existing data first")
    seed.add_argument(
        "--outcomes",
        action="store_true",
        help="also draw a renewal outcome per account from a known churn model (for `calibrate`)",
    )
    imp = commands.add_parser("import", help="import the CSV files in DIR")
    imp.add_argument("directory", type=Path)
    score = commands.add_parser("score", help="score every account and print the results")
    score.add_argument("--as-of", type=parse_day, default=None)
    score.add_argument("--format", choices=["table", "csv", "json"], default="table")
    explain = commands.add_parser("explain", help="one account: score, factors, triggers, route, reasons")
    explain.add_argument("account")
    explain.add_argument("--as-of", type=parse_day, default=None)
    explain.add_argument("--json", action="store_true")
    cycle = commands.add_parser("cycle", help="run one daily cycle now")
    cycle.add_argument("--as-of", type=parse_day, default=None)
    commands.add_parser(
        "ladder", help="climb unanswered cards and wake snoozed ones now (serve does it every 5 minutes)"
    )
    digest = commands.add_parser("digest", help="post the digests now")
    digest.add_argument("--user", default=None, metavar="SLACK_ID")
    overrides = commands.add_parser("overrides", help="export the override log")
    overrides.add_argument("--since", type=parse_day, default=None, help="from this day on (UTC)")
    overrides.add_argument("--until", type=parse_day, default=None, help="up to and including this day (UTC)")
    overrides.add_argument("--trigger", default=None)
    overrides.add_argument("--segment", default=None)
    overrides.add_argument("--csm", default=None, metavar="SLACK_ID", help="rows on accounts this CSM owns")
    overrides.add_argument("--action", default=None, help="e.g. approved, edited, taken_over, dismissed")
    overrides.add_argument("--format", choices=["csv", "json"], default="csv")
    config = commands.add_parser("config", help="the versioned trigger configuration")
    config_actions = config.add_subparsers(dest="config_action", required=True, metavar="ACTION")
    show = config_actions.add_parser("show", help="a version's body (default: the active one)")
    show.add_argument("version", type=int, nargs="?")
    diff = config_actions.add_parser("diff", help="what changed between two versions")
    diff.add_argument("old", type=int)
    diff.add_argument("new", type=int, nargs="?", help="default: the active version")
    activate = config_actions.add_parser("activate", help="make a version the active one")
    activate.add_argument("version", type=int)
    calibrate = commands.add_parser(
        "calibrate", help="fit weights, bands and renewal risk on renewal outcomes; propose a config version"
    )
    calibrate.add_argument(
        "--outcomes",
        type=Path,
        help="outcomes.csv to import first (account_id, renewal_date, outcome; or churned_at)",
    )
    calibrate.add_argument(
        "--lead-days", type=int, default=30, help="score each account this many days before its renewal"
    )
    calibrate.add_argument(
        "--horizon-days", type=int, default=90, choices=(30, 60, 90),
        help="label each (account, month) pair by churn within this many days",
    )  # fmt: skip
    calibrate.add_argument("--json", action="store_true")
    tune = commands.add_parser("tune", help="learn from people's decisions: reports, proposals, reviews")
    tune_actions = tune.add_subparsers(dest="tune_action", required=True, metavar="ACTION")
    report = tune_actions.add_parser("report", help="override analytics per trigger × segment × week")
    report.add_argument("--weeks", type=int, default=8)
    report.add_argument("--as-of", type=parse_day, default=None, help="as known on this day (default: today)")
    report.add_argument("--format", choices=["table", "json"], default="table")
    review = tune_actions.add_parser("review", help="the quarterly automation-mix review")
    review.add_argument("--quarter", nargs="?", const="", default="", metavar="YYYYQN",
                        help="default: the last complete quarter before --as-of")  # fmt: skip
    review.add_argument("--as-of", type=parse_day, default=None)
    review.add_argument("--format", choices=["table", "json"], default="table")
    review.add_argument("--post", action="store_true", help="also post it to ops and the managers in Slack")
    propose = tune_actions.add_parser(
        "propose", help="learn threshold, route and phrase proposals from the override log; replay each"
    )
    propose.add_argument(
        "--as-of", type=parse_day, default=None, help="as known on this day (default: today)"
    )
    propose.add_argument("--json", action="store_true")
    for action, words in (
        ("accept", "activate a proposal's configuration version"),
        ("shadow", "run a proposal beside the active version for 2 weeks, posting nothing"),
        ("reject", "reject a proposal, with a reason"),
        ("rollback", "return to the configuration before an accepted proposal"),
    ):
        decide = tune_actions.add_parser(action, help=words)
        decide.add_argument("proposal", type=int, help="the proposal's number (tune propose lists them)")
        decide.add_argument("--as", dest="actor", default="cli", help="who decides, for the override log")
        if action == "reject":
            decide.add_argument("--reason", required=True)
    listen = commands.add_parser(
        "listen", help="linked Slack Connect channels: their history, their text's retention"
    )
    listen_actions = listen.add_subparsers(dest="listen_action", required=True, metavar="ACTION")
    backfill = listen_actions.add_parser(
        "backfill", help="store the history of linked channels (paged, rate-paced, resumable)"
    )
    backfill.add_argument("--days", type=positive_days, default=90, help="how far back (default 90)")
    backfill.add_argument("--channel", help="one linked channel's id (default: every linked channel)")
    listen_actions.add_parser("purge", help="purge message text past its retention date now")
    db = commands.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"])
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO = sys.stdout) -> int:
    """`python app.py` and the `tandem` console script (pyproject's [project.scripts], whose
    wrapper exits with what this returns): run one command, return its exit code."""
    try:
        return _run(argv, out=out)
    except SchemaNotCurrent as refused:
        print(f"tandem: {refused}", file=sys.stderr)
        return 2


def _run(argv: Sequence[str] | None, *, out: TextIO) -> int:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    configure_logging(level=settings.log_level, fmt=settings.log_format)  # LOG_FORMAT=json: one object a line
    from bot import commands

    if args.command == "db":
        engine = make_engine(
            settings.database_url, connect_timeout_seconds=settings.db_connect_timeout_seconds
        )
        upgrade(engine)
        revision = require_current_schema(engine).expected
        print(f"database at {engine.url.render_as_string()} is up to date (revision {revision})", file=out)
        return 0
    if args.command == "demo":
        return commands.demo(settings, build_deps=build_deps, out=out)
    if args.command == "serve":
        return serve(settings)
    deps = build_deps(settings, out=out)
    today = deps.clock.now().date()
    match args.command:
        case "seed":
            return commands.seed(
                deps,
                accounts=args.accounts,
                seed=args.seed,
                as_of=args.as_of or today,
                replace=args.replace,
                outcomes=args.outcomes,
                out=out,
            )
        case "import":
            return commands.import_dir(deps, args.directory, out=out)
        case "score":
            return commands.score(deps, as_of=args.as_of or today, fmt=args.format, out=out)
        case "explain":
            return commands.explain(deps, args.account, as_of=args.as_of or today, as_json=args.json, out=out)
        case "cycle":
            return commands.cycle(deps, as_of=args.as_of or today, out=out)
        case "digest":
            return commands.digest(deps, user=args.user, out=out)
        case "ladder":
            from bot.workflows.ladder import run_ladder

            print(run_ladder(deps).render(), file=out)
            return 0
        case "config":
            return _config(deps, args, out)
        case "calibrate":
            from bot.calibrate import calibrate

            return calibrate(
                deps,
                outcomes_file=args.outcomes,
                lead_days=args.lead_days,
                as_json=args.json,
                out=out,
                horizon_days=args.horizon_days,
            )
        case "tune":
            return _tune(deps, args, today, out)
        case "listen" if args.listen_action == "backfill":
            from bot.conversations.backfill import run_backfill

            return run_backfill(deps, days=args.days, channel_id=args.channel, out=out)
        case "listen":
            return _listen(deps, args, out)
        case "overrides":
            from storage.repositories.override_stats import OverrideFilters

            since = datetime.combine(args.since, datetime.min.time(), tzinfo=UTC) if args.since else None
            until = (
                datetime.combine(args.until + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
                if args.until
                else None
            )
            filters = OverrideFilters(
                trigger=args.trigger, segment=args.segment, csm=args.csm, action=args.action
            )
            return commands.overrides(
                deps, since=since, until=until, filters=filters, fmt=args.format, out=out
            )
    raise AssertionError(f"unhandled command {args.command}")


def _listen(deps: Deps, args: argparse.Namespace, out: TextIO) -> int:
    from bot.workflows.channels.retention import purge_due

    if args.listen_action == "purge":
        purged = purge_due(deps)
        print(
            f"purged the text of {purged} message{'s' if purged != 1 else ''} past their retention date",
            file=out,
        )
        return 0
    raise AssertionError(f"unhandled listen action {args.listen_action}")


def _config(deps: Deps, args: argparse.Namespace, out: TextIO) -> int:
    from bot import config_commands

    if args.config_action == "show":
        return config_commands.show(deps, version=args.version, out=out)
    if args.config_action == "diff":
        return config_commands.diff(deps, old=args.old, new=args.new, out=out)
    return config_commands.activate(deps, version=args.version, out=out)


def _tune(deps: Deps, args: argparse.Namespace, today: date, out: TextIO) -> int:
    from bot.tuning import mix_review
    from bot.tuning.report import tune_report

    as_of = getattr(args, "as_of", None) or today  # the decision actions have no --as-of
    if args.tune_action == "report":
        return tune_report(deps, weeks=args.weeks, as_of=as_of, fmt=args.format, out=out)
    if args.tune_action == "review":
        return mix_review.run(
            deps, quarter=args.quarter or None, as_of=as_of, fmt=args.format, post=args.post, out=out
        )
    if args.tune_action == "propose":
        from bot.tuning.propose import tune_propose

        return tune_propose(deps, as_of=as_of, as_json=args.json, out=out)
    return _tune_decision(deps, args, out)


def _tune_decision(deps: Deps, args: argparse.Namespace, out: TextIO) -> int:
    from bot.tuning import decisions

    common = {"proposal_id": args.proposal, "actor": args.actor, "check_role": False}
    match args.tune_action:
        case "accept":
            outcome = decisions.accept(deps, **common)
        case "shadow":
            outcome = decisions.shadow(deps, **common)
        case "reject":
            outcome = decisions.reject(deps, reason=args.reason, **common)
        case "rollback":
            outcome = decisions.rollback(deps, **common)
        case _:
            raise AssertionError(f"unhandled tune action {args.tune_action}")
    print(outcome.message.replace(f"<@{args.actor}>", args.actor), file=out)
    return 0 if outcome.ok else 1


def serve(settings: Settings) -> int:
    """The Slack app with the scheduler: Socket Mode with SLACK_APP_TOKEN, else HTTP on $PORT."""
    from bot.app_factory import create_app
    from bot.scheduler import start_scheduler
    from handlers import register_all

    if settings.slack_bot_token is None:
        print(
            "serve needs SLACK_BOT_TOKEN (and SLACK_SIGNING_SECRET for HTTP mode); see README",
            file=sys.stderr,
        )
        return 2
    deps = build_deps(settings)
    socket_mode = settings.slack_app_token is not None
    app = create_app(deps, socket_mode=socket_mode)
    register_all(app, deps)
    engine = deps.session_factory.kw["bind"]
    scheduler = start_scheduler(deps, engine) if settings.scheduler_enabled else None
    try:
        if settings.slack_app_token is not None:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            from bot.side_server import serving_side_port

            logger.info("Tandem in Socket Mode (GET /metrics and /healthz on port %s)", settings.metrics_port)
            signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop as on Ctrl-C
            # The handler reuses app.client, so SLACK_API_URL applies to Socket Mode too.
            with serving_side_port(deps, port=settings.metrics_port):  # GET /metrics and /healthz
                SocketModeHandler(app, settings.slack_app_token.get_secret_value()).start()
        else:
            from bot.http_server import make_http_server, run_until_signalled

            assert settings.slack_signing_secret is not None  # create_app refused to start without it
            server = make_http_server(
                app,
                deps.session_factory,
                signing_secret=settings.slack_signing_secret.get_secret_value(),
                port=settings.port,
                settings=settings.http,
                metrics=deps.metrics,
            )
            logger.info(
                "Tandem on http://0.0.0.0:%s (POST /slack/events, GET /healthz, GET /metrics)", server.port
            )
            run_until_signalled(server)  # SIGTERM: finish the requests in flight, then stop
            logger.info("HTTP server stopped")
    except KeyboardInterrupt:
        pass
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
