"""Build a user's App Home view from storage."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks.circuit_alert import TripView
from bot.blocks.delivery_failure import FailureView
from bot.blocks.home import build_home_view
from bot.blocks.home_roles import csm_sections
from bot.blocks.setup_help import setup_blocks
from bot.blocks.slack_dates import slack_time
from bot.blocks.tuning import ProposalView
from bot.delivery.failures import failure_view
from bot.deps import Deps
from bot.workflows.circuit_alerts import RELEASE_ROLES, trip_view
from bot.workflows.cycle import active_trigger_config
from bot.workflows.digest_views import build_digest_views
from bot.workflows.exceptions import views as exceptions_views
from bot.workflows.home_csm import csm_day
from bot.workflows.home_manager import is_manager, manager_blocks
from bot.workflows.tuning_message import home_views as tuning_views
from storage.enums import Role
from storage.models import Account, CircuitBreakerTrip, OverrideRecord, User
from storage.repositories import deliveries, outbox, users

OPS_ROLES = frozenset({Role.OPS, Role.ADMIN, Role.MANAGER})
TRIP_DAYS_SHOWN = 7  # circuit-breaker trips still waiting for ops, this recent


def home_view_for(deps: Deps, *, slack_id: str) -> dict[str, Any]:
    now = deps.clock.now()
    _, config = active_trigger_config(deps)  # before the read session: it may write version 1
    with deps.session_factory() as session:
        user = session.get(User, slack_id)
        if user is None:
            return {"type": "home", "blocks": setup_blocks(users.ops_recipients(session))}
        owns_accounts = session.scalar(
            select(Account.account_id).where(Account.owner_slack_id == slack_id).limit(1)
        )
        digest = build_digest_views(session, users=[user], now=now)[slack_id] if owns_accounts else None
        role_sections = sections_for_role(
            deps, session, user, now=now, owns_accounts=owns_accounts is not None,
            budget=config.guardrails.card_budget.per_csm_per_day,
        )  # fmt: skip
        if digest is not None and role_sections:  # the role's list of waiting cards (rung, age) replaces the digest's
            digest = replace(digest, pending_cards=())
        counts: dict[str, int] | None = None
        trips: list[TripView] = []
        failures: list[FailureView] = []
        duplicates: list[str] = []
        tuning: list[ProposalView] | None = None
        quiet, everyone = exceptions_views.home_views(session, actor=slack_id)
        if user.role in OPS_ROLES:
            actions = session.scalars(
                select(OverrideRecord.action).where(OverrideRecord.at >= now - timedelta(days=30))
            )
            counts = dict(Counter(actions))
        if user.role in RELEASE_ROLES:
            unreleased = select(CircuitBreakerTrip).where(
                CircuitBreakerTrip.released_at.is_(None),
                CircuitBreakerTrip.as_of >= now.date() - timedelta(days=TRIP_DAYS_SHOWN),
            )
            trips = [
                trip_view(trip) for trip in session.scalars(unreleased.order_by(CircuitBreakerTrip.as_of))
            ]
            failures = [failure_view(row) for row in deliveries.failed(session)]
            duplicates = [
                f"“{m.subject}” to {m.recipient} ({m.account_id}), resent {_when(m.sent_at or m.claimed_at)}"
                for m in outbox.possible_duplicates(session)
            ]
            tuning = tuning_views(session, now=now)
    return build_home_view(
        digest,
        role_sections=role_sections,
        override_counts=counts,
        trips=trips,
        failures=failures,
        possible_duplicates=duplicates,
        exceptions=quiet,
        every_account=everyone,
        tuning=tuning,
    )


def _when(moment: datetime | None) -> str:
    return slack_time(moment) if moment is not None else "at an unknown time"


def sections_for_role(
    deps: Deps, session: Session, user: User, *, now: datetime, owns_accounts: bool, budget: int
) -> list[dict[str, Any]]:
    """What the user's role puts on top: a manager's climbed cards and team (bot.workflows.
    home_manager), a CSM's day (bot.workflows.home_csm); a team lead who owns accounts, both.
    Ops and admin keep the shared sections only."""
    if user.role in users.ANY_ACCOUNT_ROLES:
        return []
    sections: list[dict[str, Any]] = []
    currency = deps.settings.currency_symbol
    if is_manager(session, user):
        sections.extend(manager_blocks(session, user, now=now, currency=currency, budget=budget))
    if owns_accounts:
        sections.extend(csm_sections(csm_day(session, user, now=now, currency=currency)))
    return sections
