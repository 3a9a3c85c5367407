"""The command-line commands: each parses nothing, calls a workflow, prints its result.

app.py owns argument parsing and wiring; these functions take Deps so tests can call them
directly against a temporary database.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.blocks.citation import citation_plain
from bot.conversations.citations import citations, cited_ids, fetch_permalinks
from bot.deps import Deps
from bot.posting import SlackPoster
from bot.reports import explain as explain_report
from bot.reports import overrides as overrides_report
from bot.reports import scores as scores_report
from bot.settings import Settings
from bot.workflows.cycle import active_trigger_config, run_cycle, score_all
from bot.workflows.digest import post_digests
from bot.workflows.exceptions import views as exceptions_views
from bot.workflows.stored_decisions import day_record
from scoring.decisions import decide
from scoring.evidence import contributors
from scoring.health import score_account
from scoring.types import Decision
from storage.db import transaction
from storage.locks import DAILY_CYCLE_LOCK, try_job_lock
from storage.models import Account
from storage.repositories.accounts import account_labels, find_accounts
from storage.repositories.facts import book_facts, load_account_facts
from storage.repositories.override_stats import OverrideFilters, stream_overrides

if TYPE_CHECKING:
    from bot.demo import DepsBuilder

SCORE_STEPS = 2  # score_all: read and score the book; store the day's snapshots


def seed(
    deps: Deps, *, accounts: int, seed: int, as_of: date, replace: bool, out: TextIO, outcomes: bool = False
) -> int:
    from storage.synthetic import generate_book

    if accounts < 10:
        print(f"--accounts must be at least 10 (the planted hard cases need room), got {accounts}", file=out)
        return 2
    from bot.progress import track

    try:
        with track("seed", total=accounts, unit="accounts") as progress:
            summary = generate_book(
                deps.session_factory,
                accounts=accounts,
                seed=seed,
                as_of=as_of,
                replace=replace,
                progress=progress.advance,
            )
    except ValueError as error:  # e.g. the database already holds a book
        print(f"seed refused: {error}", file=out)
        return 1
    print(f"Seeded {accounts} accounts (seed {seed}, as of {as_of.isoformat()}).", file=out)
    print(summary.render() if hasattr(summary, "render") else summary, file=out)
    if outcomes:
        from storage.synthetic.outcomes import plant_outcomes

        _, config = active_trigger_config(deps)
        with transaction(deps.session_factory) as session:
            planted = plant_outcomes(session, as_of=as_of, config=config, seed=seed)
        weights = ", ".join(f"{name} {value:.2f}" for name, value in planted.weights.items())
        print(
            f"Drew {planted.outcomes:,} renewal outcomes in the last 30 days ({planted.churned:,} churned) "
            f"from a churn model with weights {weights}.",
            file=out,
        )
    return 0


def import_dir(deps: Deps, directory: Path, *, out: TextIO) -> int:
    from storage.importer import import_directory

    if not directory.is_dir():
        print(f"import: {directory} is not a directory", file=out)
        return 2
    from bot.people_lookup import slack_people
    from bot.progress import import_file_progress

    report = import_directory(
        deps.session_factory,
        directory,
        today=deps.clock.now().date(),
        people=slack_people(deps.settings),
        progress=import_file_progress,
    )
    print(report.render(), file=out)
    return 0 if report.ok else 1


def score(deps: Deps, *, as_of: date, fmt: str, out: TextIO) -> int:
    from bot.progress import track

    with track("score", total=SCORE_STEPS, unit="steps") as progress:
        _, _, results = score_all(deps, as_of=as_of, progress=progress.advance)
    with deps.session_factory() as session:
        accounts = account_labels(session)
    print(scores_report.render(scores_report.score_rows(accounts, results), fmt), file=out)
    return 0


def explain(deps: Deps, query: str, *, as_of: date, as_json: bool, out: TextIO) -> int:
    with deps.session_factory() as session:
        match = find_accounts(session, query=query)
    if match.exact is None:
        closest = ", ".join(f"{a.name} ({a.account_id})" for a in match.candidates) or "none"
        print(f"No account matches {query!r}. Closest: {closest}", file=out)
        return 1
    payload = explain_account(deps, match.exact.account_id, as_of=as_of)
    print(explain_report.render(payload, as_json=as_json), file=out)
    return 0


def explain_account(deps: Deps, account_id: str, *, as_of: date) -> dict[str, object]:
    """`explain`'s payload for one account (also what the assistant answers "why is X red" from)."""
    _, config = active_trigger_config(deps)
    with deps.session_factory() as session:
        facts = load_account_facts(
            session, as_of=as_of, account_ids=[account_id], conversations=config.conversations,
            now=deps.clock.now(),
        )  # fmt: skip
        book = book_facts(session)
        record = day_record(session, account_id=account_id, as_of=as_of)
        found = session.get(Account, account_id)
        assert found is not None
        excepted = exceptions_views.explain_rows(session, account=found)
    account = facts[0]
    health = score_account(account, as_of=as_of, config=config)
    # What the day's cycle decided, when it ran; otherwise what it would decide now.
    decisions = record.decisions if record else decide(account, health, book=book, as_of=as_of, config=config)
    payload = explain_report.explain_payload(
        account,
        health,
        decisions,
        contributors(account, health, config),
        actions=record.actions if record else None,
        exceptions=excepted,
        config=config,
    )
    explain_report.add_citations(payload, cited_messages_of(deps, decisions))
    return payload


def cited_messages_of(deps: Deps, decisions: Sequence[Decision]) -> dict[str, list[str]]:
    """Per trigger, the channel messages its signal cites: permalink (asked of Slack once, when
    there is a token) and a short fenced excerpt, never the whole message."""
    wanted = {d.trigger.value: cited_ids(d.signal.details) for d in decisions}
    client = deps.poster.client if isinstance(deps.poster, SlackPoster) else None
    fetch_permalinks(client, deps.session_factory, message_ids=[i for ids in wanted.values() for i in ids])
    with deps.session_factory() as session:
        return {
            trigger: [citation_plain(c) for c in citations(session, d.signal.details)]
            for trigger, d in ((d.trigger.value, d) for d in decisions)
            if wanted[trigger]
        }


def cycle(deps: Deps, *, as_of: date, out: TextIO) -> int:
    # The scheduler's lock: on PostgreSQL a replica's daily cycle and this command never overlap
    # (each card is claimed before it is posted anyway, so even two at once post it once).
    with try_job_lock(deps.session_factory.kw["bind"], DAILY_CYCLE_LOCK) as mine:
        if not mine:
            print(
                "cycle: another cycle is running (the scheduler or another command); try again when it ends.",
                file=out,
            )
            return 1
        summary = run_cycle(deps, as_of=as_of)
    print(summary.render(), file=out)
    if summary.problems:  # a partial failure is not a success: scripts and cron must see it
        print(f"cycle: finished with problems: {'; '.join(summary.problems)}", file=out)
        return 1
    return 0


def digest(deps: Deps, *, user: str | None, out: TextIO) -> int:
    report = post_digests(deps, only_user=user)
    print(report.render(), file=out)
    return 0 if not report.failed else 1


def overrides(
    deps: Deps,
    *,
    since: datetime | None,
    fmt: str,
    out: TextIO,
    until: datetime | None = None,
    filters: OverrideFilters | None = None,
) -> int:
    """The override log from `since` until before `until`, filtered; CSV is streamed row by row."""
    with deps.session_factory() as session:
        rows = stream_overrides(session, since=since, until=until, filters=filters or OverrideFilters())
        if fmt == "csv":
            overrides_report.write_override_csv(out, rows)
        else:
            print(
                overrides_report.render([overrides_report.override_row(r) for r in rows], fmt),
                file=out,
                end="",
            )
    return 0


def demo(settings: Settings, *, build_deps: DepsBuilder, out: TextIO) -> int:
    from bot.demo import run_demo

    return run_demo(settings, build_deps=build_deps, out=out)
