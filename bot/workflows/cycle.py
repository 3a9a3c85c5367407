"""The daily cycle: score every account, decide, draft, and put each decision where it goes.

Data flows one way (storage → scoring → decisions → drafting → Slack). Each step commits on
its own, so a crash midway loses nothing already decided, and a rerun of the same day only
does what is left: signals are keyed by (account, trigger, day), cards by signal, outbox
messages by an idempotency key, and unposted cards are posted by the next run.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.workflows.card_posting import post_new_card
from bot.workflows.draft_requests import draft_request_for
from bot.workflows.draft_step import store_draft, write_drafts
from scoring.config import TriggerConfig, config_to_dict, load_default_config
from scoring.decisions import decide, primary_decision
from scoring.evidence import contributors
from scoring.types import AccountFacts, Decision, HealthResult, Reason, Route
from storage.db import refresh_planner_statistics, transaction
from storage.enums import CardState
from storage.models import EscalationCard, HealthSnapshot, User
from storage.repositories import cards, configs, outbox, signals, snapshots
from storage.repositories.accounts import get_account
from storage.repositories.facts import book_facts, iter_account_facts
from storage.repositories.feature_table import score_whole_book

logger = logging.getLogger(__name__)

CARD_ROUTES = frozenset({Route.ASSIST, Route.HUMAN, Route.ESCALATE})
DRAFTED_ROUTES = frozenset({Route.AUTO, Route.ASSIST})
MAX_EVIDENCE_LINES = 6  # on a card; `explain` shows them all
FACTS_BATCH = 5_000  # accounts whose full facts are in memory at once during decisions


@dataclass
class CycleSummary:
    as_of: date
    config_version: int
    accounts_scored: int = 0
    bands: Counter[str] = field(default_factory=Counter)
    signals: Counter[str] = field(default_factory=Counter)  # new signals by trigger
    routes: Counter[str] = field(default_factory=Counter)  # new signals by route
    already_recorded: int = 0  # signals a previous run of the same day had recorded
    cards_posted: int = 0
    auto_queued: int = 0
    drafts_by_author: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def render(self) -> str:
        def counts(counter: Counter[str]) -> str:
            return ", ".join(f"{key} {value}" for key, value in sorted(counter.items())) or "none"

        return "\n".join(
            [
                f"Cycle for {self.as_of.isoformat()} (trigger config v{self.config_version})",
                f"  accounts scored: {self.accounts_scored} ({counts(self.bands)})",
                f"  new signals: {sum(self.signals.values())} ({counts(self.signals)})",
                f"  routes: {counts(self.routes)}",
                f"  escalation cards posted: {self.cards_posted}",
                f"  automated touches queued: {self.auto_queued}",
                f"  drafts: {counts(self.drafts_by_author)}",
                f"  accounts already handled earlier today: {self.already_recorded}",
                f"  took {self.seconds:.2f} s",
            ]
        )


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


def score_all(deps: Deps, *, as_of: date) -> tuple[int, TriggerConfig, list[HealthResult]]:
    """Score every account in one bulk pass and store today's snapshots."""
    version, config = active_trigger_config(deps)
    results = score_whole_book(deps.session_factory, as_of=as_of, config=config)
    with transaction(deps.session_factory) as session:
        snapshots.replace_day(session, as_of=as_of, results=results, config_version=version)
        refresh_planner_statistics(session, HealthSnapshot.__tablename__)  # a whole day was just rewritten
    return version, config, results


def run_cycle(deps: Deps, *, as_of: date) -> CycleSummary:
    started = time.perf_counter()
    version, config, results = score_all(deps, as_of=as_of)
    summary = CycleSummary(as_of=as_of, config_version=version, accounts_scored=len(results))
    summary.bands.update(result.band.value for result in results)

    with deps.session_factory() as session:
        book = book_facts(session)
        owners = {user.slack_id: user for user in session.scalars(select(User))}

    health_by_id = {result.account_id: result for result in results}
    # Decisions need each account's facts (context, tickets); read in batches to bound memory.
    with deps.session_factory() as session:
        batches = iter_account_facts(session, as_of=as_of, batch_size=FACTS_BATCH)
        for batch in batches:
            for account in batch:
                health = health_by_id.get(account.account_id)
                if health is None:  # an account added since the scoring pass: next run
                    continue
                decisions = decide(account, health, book=book, as_of=as_of, config=config)
                lead = primary_decision(decisions)
                if lead is not None:
                    lead = with_evidence(lead, account, health, config)
                    decisions = [lead if d.trigger is lead.trigger else d for d in decisions]
                    _handle_account(deps, summary, account, health, decisions, lead, owners, version)

    summary.cards_posted += post_unposted_cards(deps)
    summary.seconds = time.perf_counter() - started
    return summary


def with_evidence(
    decision: Decision, account: AccountFacts, health: HealthResult, config: TriggerConfig
) -> Decision:
    """The decision with its evidence (tickets, weeks of usage) in the signal's details, for the card."""
    lines = [line for c in contributors(account, health, config) for line in c.evidence][:MAX_EVIDENCE_LINES]
    if not lines:
        return decision
    signal = replace(decision.signal, details={**decision.signal.details, "evidence": lines})
    return replace(decision, signal=signal)


def _handle_account(
    deps: Deps,
    summary: CycleSummary,
    account: AccountFacts,
    health: HealthResult,
    decisions: list[Decision],
    decision: Decision,
    owners: dict[str, User],
    config_version: int,
) -> None:
    """Record every fired signal; the lead decision alone gets a draft and a card or touch,
    so a CSM sees one card per account per day, not one per trigger."""
    now = deps.clock.now()
    with transaction(deps.session_factory) as session:
        recorded = {
            d.trigger: signals.record_signal(
                session, decision=d, as_of=summary.as_of, now=now, config_version=config_version
            )
            for d in decisions
        }
        signal, created = recorded[decision.trigger]
        for d in decisions:
            if recorded[d.trigger][1]:
                summary.signals[d.trigger.value] += 1
        if not created:
            summary.already_recorded += 1
            return
        summary.routes[decision.route.value] += 1

        draft_id: int | None = None
        draft_body = ""
        draft_subject = ""
        if decision.route in DRAFTED_ROUTES:
            owner = owners.get(account.owner_slack_id)
            request = draft_request_for(
                account, health, decision, owner_name=owner.name if owner else "your CSM"
            )
            (result,) = write_drafts(deps, [request])
            summary.drafts_by_author[result.author.split(":")[0]] += 1
            draft = store_draft(
                session,
                request=request,
                result=result,
                account_id=account.account_id,
                signal_id=signal.id,
                now=now,
            )
            draft_id, draft_body, draft_subject = draft.id, result.body, result.subject
            if result.needs_review and decision.route is Route.AUTO:
                # A draft the validator doubted never goes out unseen: a person reviews it,
                # and the signal says so, so the override log shows the route really proposed.
                review = Reason(
                    "draft_needs_review", "Human review: the automated draft needs a person to check it."
                )
                decision = Decision(
                    signal=decision.signal, route=Route.ASSIST, reasons=(review, *decision.reasons)
                )
                signal.route = Route.ASSIST.value
                signal.reasons = {
                    "codes": [r.code for r in decision.reasons],
                    "sentences": [r.sentence for r in decision.reasons],
                }
                summary.routes[Route.AUTO.value] -= 1
                summary.routes[Route.ASSIST.value] += 1

        if decision.route is Route.AUTO:
            _queue_automated_touch(deps, session, account, signal.id, draft_subject, draft_body)
            summary.auto_queued += 1
        elif decision.route in CARD_ROUTES:
            cards.create_card(
                session,
                signal_id=signal.id,
                account_id=account.account_id,
                draft_id=draft_id,
                recipient_slack_id=account.owner_slack_id,
                now=now,
            )


def _queue_automated_touch(
    deps: Deps, session: Session, account: AccountFacts, signal_id: int, subject: str, body: str
) -> None:
    """Full automation: the touch waits a hold window (visible in the digest), then is sent."""
    row = get_account(session, account_id=account.account_id)
    recipient = (row.contact_email if row else None) or ""
    now = deps.clock.now()
    outbox.enqueue(
        session,
        idempotency_key=f"signal:{signal_id}:auto",
        account_id=account.account_id,
        card_id=None,
        channel="email" if recipient else "record",
        recipient=recipient or f"account:{account.account_id}",
        subject=subject,
        body=body,
        send_after=now + timedelta(minutes=deps.settings.auto_send_hold_minutes),
        now=now,
        signal_id=signal_id,
    )


def post_unposted_cards(deps: Deps) -> int:
    """Post every pending card that has no Slack message yet (this run's and any a crash left)."""
    with deps.session_factory() as session:
        card_ids = list(
            session.scalars(
                select(EscalationCard.id)
                .where(EscalationCard.state == CardState.PENDING, EscalationCard.message_ts.is_(None))
                .order_by(EscalationCard.id)
            )
        )
    posted = 0
    for card_id in card_ids:
        try:
            with transaction(deps.session_factory) as session:
                if post_new_card(session, poster=deps.poster, card_id=card_id, now=deps.clock.now()):
                    posted += 1
        except Exception:  # one failed post must not stop the others; the next run retries it
            logger.exception("posting card %s failed; it stays queued for the next run", card_id)
    return posted
