"""The cycle's writes: each plan's signals, then its draft and its card or automated touch.

Batches of accounts, one transaction each, so a crash midway loses nothing already written
and a rerun does only what is left: signals are keyed by (account, trigger, day), cards by
signal, automated touches by an idempotency key. Rows go in as bulk inserts that skip
duplicates (no query per account).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.workflows.cycle_plan import CARD_ROUTES, AccountPlan
from bot.workflows.draft_step import store_draft
from prompts.drafting import DraftRequest, DraftResult
from scoring.types import Route
from storage.db import transaction
from storage.enums import CardDelivery
from storage.models import Draft
from storage.repositories import accounts, attention, cards, outbox, signals

WRITE_BATCH = 250  # accounts per transaction: short write locks on SQLite, few round trips
IN_CHUNK = 900


@dataclass
class WriteCounts:
    signals: dict[str, int] = field(default_factory=dict)  # new signals by trigger
    routes: dict[str, int] = field(default_factory=dict)  # new leads by route
    cards_dm: int = 0
    cards_digest: int = 0
    auto_queued: int = 0
    held: int = (
        0  # leads on hold (circuit breaker) or quiet (cooldown, a card waiting, a crisis already carded)
    )

    def count(self, counter: dict[str, int], key: str) -> None:
        counter[key] = counter.get(key, 0) + 1


def write_plans(
    deps: Deps,
    plans: Sequence[AccountPlan],
    *,
    act_on: set[str],
    drafted: Mapping[str, tuple[DraftRequest, DraftResult]],
    config_version: int,
) -> WriteCounts:
    """Record every plan's decisions; for the accounts in `act_on` (not handled earlier today)
    also store the lead's draft and create its card or queue its automated touch."""
    counts = WriteCounts()
    now = deps.clock.now()
    for start in range(0, len(plans), WRITE_BATCH):
        batch = plans[start : start + WRITE_BATCH]
        with transaction(deps.session_factory) as session:
            _write_batch(session, deps, batch, act_on, drafted, config_version, now, counts)
    return counts


def _write_batch(
    session: Session,
    deps: Deps,
    batch: Sequence[AccountPlan],
    act_on: set[str],
    drafted: Mapping[str, tuple[DraftRequest, DraftResult]],
    config_version: int,
    now: datetime,
    counts: WriteCounts,
) -> None:
    as_of = batch[0].health.as_of
    ids = signals.record_signals(
        session,
        decisions=[d for plan in batch for d in plan.decisions],
        as_of=as_of,
        now=now,
        config_version=config_version,
    )
    for (_, trigger), (_, created) in ids.items():
        if created:
            counts.count(counts.signals, trigger)
    acting = [plan for plan in batch if plan.account_id in act_on]
    contacts = _contact_emails(session, [p.account_id for p in acting if p.lead.route is Route.AUTO])
    card_rows: list[dict[str, Any]] = []
    touch_rows: list[dict[str, Any]] = []
    stored: dict[str, Draft] = {}
    for plan in acting:  # every draft of the batch first, then one flush writes them all
        if plan.account_id in drafted:
            request, result = drafted[plan.account_id]
            signal_id, _ = ids[(plan.account_id, plan.lead.trigger.value)]
            stored[plan.account_id] = store_draft(
                session, request=request, result=result, account_id=plan.account_id, signal_id=signal_id,
                now=now, flush=False,
            )  # fmt: skip
    session.flush()
    # A card asleep (snoozed) on the account for the same trigger is that trigger's card: it
    # wakes when something new happens (bot.workflows.snooze); no second card meanwhile.
    asleep = attention.sleeping_triggers(
        session, account_ids=[p.account_id for p in acting if p.lead.route in CARD_ROUTES]
    )
    for plan in acting:
        lead = plan.lead
        signal_id, _ = ids[(plan.account_id, lead.trigger.value)]
        counts.count(counts.routes, lead.route.value)
        draft = stored.get(plan.account_id)
        draft_id, subject, body = (draft.id, draft.subject, draft.body) if draft else (None, "", "")
        if lead.route is Route.HOLD:
            counts.held += 1
        elif lead.route is Route.AUTO:
            touch_rows.append(
                _touch_row(deps, plan, signal_id, contacts.get(plan.account_id), subject, body, now)
            )
            counts.auto_queued += 1
        elif lead.route in CARD_ROUTES and (plan.account_id, lead.trigger.value) in asleep:
            counts.held += 1
        elif lead.route in CARD_ROUTES:
            card_rows.append(
                {
                    "signal_id": signal_id,
                    "account_id": plan.account_id,
                    "draft_id": draft_id,
                    "recipient_slack_id": plan.owner,
                    "delivery": plan.delivery.value,
                }
            )
            if plan.delivery is CardDelivery.DIGEST:
                counts.cards_digest += 1
            else:
                counts.cards_dm += 1
    cards.create_cards(session, rows=card_rows, now=now)
    outbox.enqueue_many(session, rows=touch_rows, now=now)


def _touch_row(
    deps: Deps, plan: AccountPlan, signal_id: int, email: str | None, subject: str, body: str, now: datetime
) -> dict[str, Any]:
    """Full automation: the touch waits a hold window (visible in the digest), then is sent."""
    return {
        "idempotency_key": f"signal:{signal_id}:auto",
        "account_id": plan.account_id,
        "card_id": None,
        "signal_id": signal_id,
        "channel": "email" if email else "record",
        "recipient": email or f"account:{plan.account_id}",
        "subject": subject,
        "body": body,
        "send_after": now + timedelta(minutes=deps.settings.auto_send_hold_minutes),
    }


def _contact_emails(session: Session, account_ids: list[str]) -> dict[str, str]:
    return accounts.contact_emails(session, account_ids=account_ids)
