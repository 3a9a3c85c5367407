"""The cycle's audit step: on the audit weekday, draw this week's audit cards and write them.

After the day's plans are written (so a card made today counts as pending), the near misses of
the threshold triggers are found from the day's scores, the ones nobody may be asked about
are left out (scoring.learning.audit.exclusion), and each CSM without an audit card this ISO
week may get one. The cards are written for the DM and posted with the day's other cards by
bot.workflows.card_posting, once. A rerun of the day draws the same cards and writes none twice
(the key is the recipient and the week).

Audit cards are exempt from the daily card budget: there is at most one a week per CSM, and
they neither spend the budget nor count as a card waiting for the guardrails.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from bot.deps import Deps
from bot.workflows.cycle_plan import AccountPlan
from scoring.config import TriggerConfig
from scoring.learning.audit import AuditPick, audit_week, exclusion, is_audit_day, near_misses, select_audits
from scoring.types import HealthResult
from storage.db import transaction
from storage.repositories import accounts, cards
from storage.repositories.facts import load_account_facts
from storage.repositories.signals import json_safe

FACTS_BATCH = 5_000


def write_audit_cards(
    deps: Deps,
    *,
    as_of: date,
    config: TriggerConfig,
    config_version: int,
    results: Iterable[HealthResult],
    plans: Iterable[AccountPlan],
    previous: Mapping[str, int],
) -> int:
    """This week's audit cards, drawn on the audit weekday's cycle; returns how many were new."""
    if not is_audit_day(as_of, config):
        return 0
    week = audit_week(as_of)
    with deps.session_factory() as session:
        audited = cards.audited_recipients(session, week=week)
        people = accounts.owners_and_renewals(session)
        labels = accounts.account_labels(session)
    misses = []
    for health in results:
        owner, renewal = people.get(health.account_id, ("", None))
        if owner and owner not in audited:
            misses += near_misses(
                health,
                owner=owner,
                renewal_date=renewal,
                previous_score=previous.get(health.account_id),
                config=config,
                segment=labels.get(health.account_id, ("", None))[1],
            )
    if not misses:
        return 0
    flagged = {plan.account_id for plan in plans}
    ids = sorted({miss.account_id for miss in misses})
    facts = {}
    with deps.session_factory() as session:
        for start in range(0, len(ids), FACTS_BATCH):
            chunk = ids[start : start + FACTS_BATCH]
            loaded = load_account_facts(session, as_of=as_of, account_ids=chunk, with_usage=False)
            facts.update({account.account_id: account for account in loaded})
        pending = cards.accounts_with_pending_cards(session, account_ids=ids)
    eligible = [
        miss
        for miss in misses
        if miss.account_id in facts
        and exclusion(
            miss,
            facts[miss.account_id],
            config=config,
            flagged_today=miss.account_id in flagged,
            pending_card=miss.account_id in pending,
        )
        is None
    ]
    picks = select_audits(eligible, week=week, rate=config.audit.rate, audited=audited)
    if not picks:
        return 0
    with transaction(deps.session_factory) as session:
        before = cards.audited_recipients(session, week=week)
        cards.create_audit_cards(
            session, rows=[_row(pick, config, config_version) for pick in picks], now=deps.clock.now()
        )
        return len(cards.audited_recipients(session, week=week) - before)


def _row(pick: AuditPick, config: TriggerConfig, config_version: int) -> dict[str, Any]:
    miss = pick.near_miss
    near_miss = {
        **miss.details,
        "trigger": miss.trigger.value,
        "value": miss.value,
        "threshold": miss.threshold,
        "margin": miss.margin,
        "score": miss.score,
        "summary": miss.summary,
        "as_of": miss.as_of,
        "week": pick.week,
        "rate": config.audit.rate,
        "pool": pick.pool,
        "draw": pick.draw,
        "config_version": config_version,
    }
    return {
        "account_id": miss.account_id,
        "recipient_slack_id": miss.owner,
        "propensity": pick.propensity,
        "audit_key": f"{miss.owner}:{pick.week}",
        "audit": json_safe(near_miss),
    }
