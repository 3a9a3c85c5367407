"""The daily cycle: score every account, decide, guard, draft, and put each decision where it goes.

Data flows one way (storage → scoring → decisions → drafting → Slack):
1. the bulk scoring pass stores the day's snapshots;
2. every account's decisions are planned from its facts (routing and the per-account
   guardrails: cooldowns, a card waiting, no cascades, the touch cap);
3. the run-wide guardrails: the circuit breaker holds a trigger that fired on an implausible
   share of the book (and ops is alerted), and each CSM's card budget decides which cards go
   to the DM today and which wait in the digest;
4. drafts are written outside any transaction (an LLM may be slow), then signals, drafts,
   cards and automated touches are written in batches;
5. on the audit weekday, this week's audit cards are drawn from the near misses below the
   triggers' lines (bot.workflows.audit.cycle_step);
6. every card owed a post is posted, once (bot.workflows.card_posting); a terminal preview
   renders them and leaves them owed;
7. snoozed cards whose account got worse today or saw a new trigger wake (bot.workflows.snooze).
A rerun of the same day only does what is left: signals are keyed by (account, trigger, day),
and an account whose lead signal was already recorded is not acted on again.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from bot.conversations.citations import cited_ids, fetch_permalinks
from bot.conversations.topic_classifier import classify_topics
from bot.deps import Deps
from bot.posting import SlackPoster
from bot.tuning.shadow import shadow_step
from bot.workflows.audit.cycle_step import write_audit_cards
from bot.workflows.card_posting import post_owed_cards
from bot.workflows.circuit_alerts import record_and_alert
from bot.workflows.cycle_plan import (
    AccountPlan,
    add_details,
    apply_run_guardrails,
    needs_details,
    plan_account,
)
from bot.workflows.cycle_write import write_plans
from bot.workflows.draft_step import model_outage, reset_model_breaker, write_drafts
from bot.workflows.exceptions.lapses import record_lapses
from bot.workflows.snooze import wake_due
from prompts.drafting import DraftRequest, DraftResult
from scoring.config import Conversations, TriggerConfig, config_to_dict, load_default_config
from scoring.conversation_facts import ConversationFacts
from scoring.decisions import previous_score
from scoring.evidence import USAGE_EVIDENCE_DAYS, shows_usage
from scoring.exceptions import Lapse
from scoring.routing import demoted
from scoring.types import HealthResult, Reason, Route
from storage.db import refresh_planner_statistics, transaction
from storage.enums import CardDelivery
from storage.models import HealthSnapshot
from storage.repositories import cards, configs, signals, snapshots, users
from storage.repositories.conversation_facts import load_conversation_facts
from storage.repositories.facts import book_facts, iter_account_facts, load_account_facts, usage_by_account
from storage.repositories.feature_table import score_whole_book

logger = logging.getLogger(__name__)

FACTS_BATCH = 5_000  # accounts whose full facts are in memory at once during decisions
FEW_MISSING = 2_000  # accounts without a stored score 30 days back, below which each is recomputed alone


@dataclass
class CycleSummary:
    as_of: date
    config_version: int
    accounts_scored: int = 0
    bands: Counter[str] = field(default_factory=Counter)
    signals: Counter[str] = field(default_factory=Counter)  # new signals by trigger
    routes: Counter[str] = field(default_factory=Counter)  # new leads by route
    already_recorded: int = 0  # accounts a previous run of the same day had handled
    held: int = 0  # leads on hold or kept quiet by a guardrail
    cards_posted: int = 0
    cards_previewed: int = 0  # rendered in the terminal (no Slack token): still owed to Slack
    cards_not_posted: int = 0  # Slack refused or failed: retried with backoff, then shown to ops
    cards_to_digest: int = 0  # over a CSM's daily card budget: they wait in the digest
    cards_woken: int = 0  # snoozed cards back with their owners (time up, worse, a new trigger)
    audit_cards: int = 0  # new audit cards: near misses drawn below the line (posted with the cards)
    shadow_runs: int = 0  # tuning proposals in shadow that counted today's would-be cards
    auto_queued: int = 0
    drafts_by_author: Counter[str] = field(default_factory=Counter)
    model_outage: str | None = None  # the LLM stopped answering: the rest were drafted by template
    breaker_trips: list[str] = field(default_factory=list)
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds per step, for benchmarks and logs

    @property
    def problems(self) -> list[str]:
        """What went wrong in this run, in words (empty when it all went through)."""
        found = []
        if self.cards_not_posted:
            found.append(
                f"{self.cards_not_posted} of {self.cards_not_posted + self.cards_posted} cards could not be posted "
                "to Slack; they are retried with backoff and shown to ops if they never get through"
            )
        return found

    def render(self) -> str:
        def counts(counter: Counter[str]) -> str:
            return ", ".join(f"{key} {value}" for key, value in sorted(counter.items())) or "none"

        lines = [
            f"Cycle for {self.as_of.isoformat()} (trigger config v{self.config_version})",
            f"  accounts scored: {self.accounts_scored} ({counts(self.bands)})",
            f"  new signals: {sum(self.signals.values())} ({counts(self.signals)})",
            f"  routes: {counts(self.routes)}",
            f"  escalation cards posted: {self.cards_posted}"
            + (
                f" (and {self.cards_previewed} previewed here, not posted: no SLACK_BOT_TOKEN)"
                if self.cards_previewed
                else ""
            )
            + (f" ({self.cards_not_posted} failed, retried later)" if self.cards_not_posted else ""),
            f"  cards over the CSMs' daily budget, waiting in the digest: {self.cards_to_digest}",
            f"  snoozed cards woken and back with their owners: {self.cards_woken}",
            f"  audit cards drawn below the line (posted with the cards above): {self.audit_cards}",
            f"  automated touches queued: {self.auto_queued}",
            f"  on hold or kept quiet by a guardrail: {self.held}",
            f"  drafts: {counts(self.drafts_by_author)}"
            + (f" — {self.model_outage}" if self.model_outage else ""),
            f"  accounts already handled earlier today: {self.already_recorded}",
        ]
        lines.extend(f"  circuit breaker: {trip}" for trip in self.breaker_trips)
        lines.extend(f"  PROBLEM: {problem}" for problem in self.problems)
        steps = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in self.phases.items())
        lines.append(f"  took {self.seconds:.2f} s" + (f" ({steps})" if steps else ""))
        return "\n".join(lines)


BULK_WRITTEN = 500  # signals written by one run, past which the planner's statistics are refreshed
WRITTEN_TABLES = ("signals", "escalation_cards", "drafts", "outbox")


def active_trigger_config(deps: Deps) -> tuple[int, TriggerConfig]:
    """The active configuration, seeding version 1 from the TOML in the repo on first use."""
    with transaction(deps.session_factory) as session:
        row = configs.ensure_active_config(
            session,
            default_body=config_to_dict(load_default_config()),
            author="tandem",
            now=deps.clock.now(),
        )
        return row.version, TriggerConfig.model_validate(row.body)


def score_all(
    deps: Deps,
    *,
    as_of: date,
    progress: Callable[[int], None] | None = None,
    heard: Mapping[str, ConversationFacts] | None = None,
) -> tuple[int, TriggerConfig, list[HealthResult]]:
    """Score every account in one bulk pass and store today's snapshots. `progress` is told of
    each of the two steps done (the book read and scored; its snapshots stored). `heard`: the
    linked channels' facts, when the caller read them already (the cycle reads them once)."""
    version, config = active_trigger_config(deps)
    results = score_whole_book(deps.session_factory, as_of=as_of, config=config, heard=heard)
    if progress is not None:
        progress(1)
    with transaction(deps.session_factory) as session:
        snapshots.replace_day(session, as_of=as_of, results=results, config_version=version)
        refresh_planner_statistics(session, HealthSnapshot.__tablename__)  # a whole day was just rewritten
    if progress is not None:
        progress(1)
    return version, config, results


def run_cycle(deps: Deps, *, as_of: date) -> CycleSummary:
    started = mark = time.perf_counter()
    phases: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        phases[name] = now - mark
        mark = now

    rules = active_trigger_config(deps)[1].conversations
    if deps.settings.llm_reads_conversations:  # off: no conversation text goes to the LLM
        classify_topics(deps, rules=rules)
        lap("topics")
    heard = conversations_heard(deps, as_of=as_of, rules=rules)  # one read, for scores and decisions
    lap("conversations")
    version, config, results = score_all(deps, as_of=as_of, heard=heard)
    summary = CycleSummary(as_of=as_of, config_version=version, accounts_scored=len(results), phases=phases)
    summary.bands.update(result.band.value for result in results)
    lap("score")

    previous = previous_scores(deps, as_of=as_of, config=config, account_ids=[r.account_id for r in results])
    plans, lapses = plan_book(
        deps, as_of=as_of, config=config, results=results, previous=previous, heard=heard
    )
    lap("decide")
    day_start = datetime.combine(as_of, datetime.min.time(), tzinfo=UTC)
    with deps.session_factory() as session:
        done = signals.keys_on(session, as_of=as_of)
        posted_today = cards.dm_cards_created_on(session, start=day_start, end=day_start + timedelta(days=1))
    trips = apply_run_guardrails(plans, scored=len(results), posted_today=posted_today, config=config)
    if trips:
        record_and_alert(deps, trips, as_of=as_of, config_version=version)
        summary.breaker_trips = [trip.sentence() for trip in trips]
    lap("guardrails")

    fresh = [plan for plan in plans if (plan.account_id, plan.lead.trigger.value) not in done]
    summary.already_recorded = len(plans) - len(fresh)
    detail_plans(deps, fresh, as_of=as_of, config=config)
    lap("details")
    reset_model_breaker(deps)  # a new run gives a model that stopped answering a new chance
    drafted = draft_leads(deps, fresh)
    summary.drafts_by_author.update(result.author.split(":")[0] for _, result in drafted.values())
    summary.model_outage = model_outage(deps)
    lap("draft")
    counts = write_plans(
        deps, plans, act_on={plan.account_id for plan in fresh}, drafted=drafted, config_version=version
    )
    summary.signals.update(counts.signals)
    summary.routes.update(counts.routes)
    summary.auto_queued, summary.held, summary.cards_to_digest = (
        counts.auto_queued,
        counts.held,
        counts.cards_digest,
    )
    record_lapses(deps, lapses)  # after the signals: their reasons say why each trigger is back
    if sum(counts.signals.values()) >= BULK_WRITTEN:
        # The planner must know the tables just grew: PostgreSQL's statistics from before the
        # write say "one row", and the audit step's join of cards and signals then ran as a
        # nested loop over every pair (over 10 minutes at 100,000 accounts).
        with transaction(deps.session_factory) as session:
            for table in WRITTEN_TABLES:
                refresh_planner_statistics(session, table)
    lap("write")
    summary.audit_cards = write_audit_cards(
        deps, as_of=as_of, config=config, config_version=version, results=results, plans=plans,
        previous=previous,
    )  # fmt: skip
    lap("audit")
    summary.shadow_runs = shadow_step(deps, as_of=as_of, results=results, previous=previous, plans=plans)
    lap("shadow")
    cite_messages(deps, fresh)
    posting = post_owed_cards(deps)
    summary.cards_posted += posting.delivered
    summary.cards_previewed += posting.previewed
    summary.cards_not_posted += len(posting.retrying) + len(posting.failed)
    summary.cards_woken = len(wake_due(deps))  # a worsening or a new trigger found today wakes its card now
    lap("post")
    summary.seconds = time.perf_counter() - started
    deps.metrics.cycle_done(summary)
    return summary


def conversations_heard(deps: Deps, *, as_of: date, rules: Conversations) -> dict[str, ConversationFacts]:
    """Every account's linked channels summed up once for the day (waits measured to now, or to
    the day's end for a past day): the scores and the decisions both read these."""
    with deps.session_factory() as session:
        return load_conversation_facts(session, as_of=as_of, rules=rules, now=deps.clock.now())


def cite_messages(deps: Deps, plans: list[AccountPlan]) -> int:
    """Permalinks for the channel messages today's new cards cite (chat.getPermalink, cached on
    the message), asked before the cards are posted so each card links them."""
    ids = [
        message_id for plan in plans if plan.gets_card for message_id in cited_ids(plan.lead.signal.details)
    ]
    client = deps.poster.client if isinstance(deps.poster, SlackPoster) else None
    return fetch_permalinks(client, deps.session_factory, message_ids=ids)


def plan_book(
    deps: Deps,
    *,
    as_of: date,
    config: TriggerConfig,
    results: list[HealthResult],
    previous: Mapping[str, int] | None = None,
    heard: Mapping[str, ConversationFacts] | None = None,
) -> tuple[list[AccountPlan], list[Lapse]]:
    """Every account's decisions, from its facts read in batches (memory stays bounded), and
    the account exceptions that lapse today. The daily usage rows stay in the database: the
    bulk pass has already turned them into scores.
    `previous`: each account's score health_drop compares with (`previous_scores`, if not given)."""
    with deps.session_factory() as session:
        book = book_facts(session)
    if previous is None:
        previous = previous_scores(
            deps, as_of=as_of, config=config, account_ids=[r.account_id for r in results]
        )
    health_by_id = {result.account_id: result for result in results}
    plans: list[AccountPlan] = []
    lapses: list[Lapse] = []
    with deps.session_factory() as session:
        batches = iter_account_facts(
            session, as_of=as_of, batch_size=FACTS_BATCH, with_usage=False,
            conversations=config.conversations, now=deps.clock.now(), heard=heard,
        )  # fmt: skip
        for batch in batches:
            for account in batch:
                health = health_by_id.get(account.account_id)
                if health is None:  # an account added since the scoring pass: next run
                    continue
                plan, lapsed = plan_account(
                    account,
                    health,
                    book=book,
                    as_of=as_of,
                    config=config,
                    previous=previous.get(account.account_id),
                    sales_channel=deps.settings.sales_channel,
                )
                if plan is not None:
                    plans.append(plan)
                lapses.extend(lapsed)
    return plans, lapses


def detail_plans(deps: Deps, plans: list[AccountPlan], *, as_of: date, config: TriggerConfig) -> None:
    """Evidence and draft requests for the leads that go out now, from the facts they were
    decided from and the recent daily usage their evidence shows (read now, for them only)."""
    wanted = [plan for plan in plans if needs_details(plan, config)]
    with deps.session_factory() as session:
        owner_names = users.names_by_id(session)
        for start in range(0, len(wanted), FACTS_BATCH):
            chunk = wanted[start : start + FACTS_BATCH]
            # Daily usage is read only where it is evidence: for a lead whose score usage pulls down.
            ids = [plan.account_id for plan in chunk if shows_usage(plan.health)]
            usage = usage_by_account(session, as_of=as_of, window_days=USAGE_EVIDENCE_DAYS, account_ids=ids)
            unread = [plan.account_id for plan in chunk if plan.facts is None]  # a plan made elsewhere
            read = {
                account.account_id: account
                for account in load_account_facts(
                    session, as_of=as_of, account_ids=unread, with_usage=False,
                    conversations=config.conversations, now=deps.clock.now(),
                )
            } if unread else {}  # fmt: skip
            for plan in chunk:
                account = plan.facts or read.get(plan.account_id)
                if account is not None:
                    account = replace(account, usage=usage.get(plan.account_id, ()))
                    add_details(
                        plan, account, config=config, owner_name=owner_names.get(plan.owner, "your CSM")
                    )
    for plan in plans:
        plan.facts = None  # memory: the later steps need no facts


def previous_scores(
    deps: Deps, *, as_of: date, config: TriggerConfig, account_ids: list[str]
) -> dict[str, int]:
    """Each account's score `health_drop.window_days` ago, for health_drop: the stored snapshot
    nearest that day, else the score recomputed by a bulk pass on that day (a new book has no
    history yet). An account without usage data that far back has none."""
    rules = config.triggers.health_drop
    then = as_of - timedelta(days=rules.window_days)
    with deps.session_factory() as session:
        stored = snapshots.scores_near(session, day=then, tolerance_days=rules.history_tolerance_days)
    missing = [account_id for account_id in account_ids if account_id not in stored]
    if not missing:
        return stored
    if len(missing) <= FEW_MISSING:  # a few new accounts: their own facts, not a whole-book pass
        with deps.session_factory() as session:
            for start in range(0, len(missing), FACTS_BATCH):
                chunk = missing[start : start + FACTS_BATCH]
                for account in load_account_facts(session, as_of=as_of, account_ids=chunk):
                    score = previous_score(account, as_of=as_of, config=config)
                    if score is not None:
                        stored[account.account_id] = score
        return stored
    recomputed = score_whole_book(deps.session_factory, as_of=then, config=config)
    wanted = set(missing)
    for result in recomputed:
        if result.account_id in wanted and any(f.name == "usage" for f in result.factors):
            stored[result.account_id] = result.score
    return stored


def draft_leads(deps: Deps, plans: list[AccountPlan]) -> dict[str, tuple[DraftRequest, DraftResult]]:
    """Drafts for the leads that need one now (an automated touch, or a DM card that proposes a
    send); a card waiting in the digest is drafted when its CSM opens it. A doubted automated
    draft never goes out unseen: its lead becomes a human review."""
    wanted = [
        plan
        for plan in plans
        if plan.draft_request is not None
        and (plan.lead.route is Route.AUTO or plan.delivery is CardDelivery.DM)
    ]
    requests = [plan.draft_request for plan in wanted if plan.draft_request is not None]
    results = write_drafts(deps, requests)
    drafted: dict[str, tuple[DraftRequest, DraftResult]] = {}
    for plan, request, result in zip(wanted, requests, results, strict=True):
        drafted[plan.account_id] = (request, result)
        lead = plan.lead
        if result.needs_review and lead.route is Route.AUTO:
            review = Reason(
                "draft_needs_review", "Human review: the automated draft needs a person to check it."
            )
            reviewed = replace(lead, route=Route.ASSIST, reasons=demoted((review, *lead.reasons)))
            plan.decisions = [reviewed if d.trigger is lead.trigger else d for d in plan.decisions]
            plan.delivery = CardDelivery.DM
    return drafted
