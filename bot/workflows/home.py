"""Build a user's App Home view from storage."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

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
from bot.workflows import ops_home
from bot.workflows.channels.ops_view import section_blocks as channels_section
from bot.workflows.circuit_alerts import RELEASE_ROLES, trip_view
from bot.workflows.cycle import active_trigger_config
from bot.workflows.digest_views import build_digest_views
from bot.workflows.exceptions import views as exceptions_views
from bot.workflows.home_csm import csm_day
from bot.workflows.home_manager import is_manager, manager_blocks
from bot.workflows.tuning_message import home_views as tuning_views
from storage.models import User
from storage.repositories import accounts, circuit_trips, deliveries, outbox, users
from storage.repositories.override_stats import OverrideFilters

TRIP_DAYS_SHOWN = 7  # circuit-breaker trips still waiting for ops, this recent


def home_view_for(deps: Deps, *, slack_id: str, ops_filters: OverrideFilters | None = None) -> dict[str, Any]:
    """`ops_filters`: the override-log filters ops chose (bot.workflows.ops_home)."""
    now = deps.clock.now()
    _, config = active_trigger_config(deps)  # before the read session: it may write version 1
    with deps.session_factory() as session:
        user = session.get(User, slack_id)
        if user is None:
            return {"type": "home", "blocks": setup_blocks(users.ops_recipients(session))}
        owns_accounts = accounts.owns_any(session, owner_slack_id=slack_id)
        digest = build_digest_views(session, users=[user], now=now)[slack_id] if owns_accounts else None
        role_sections = sections_for_role(
            deps, session, user, now=now, owns_accounts=owns_accounts,
            budget=config.guardrails.card_budget.per_csm_per_day,
        )  # fmt: skip
        if (
            digest is not None and role_sections
        ):  # the role's list of waiting cards (rung, age) replaces the digest's
            digest = replace(digest, pending_cards=())
        override_log: list[dict[str, Any]] = []
        trips: list[TripView] = []
        failures: list[FailureView] = []
        duplicates: list[str] = []
        tuning: list[ProposalView] | None = None
        quiet, everyone = exceptions_views.home_views(session, actor=slack_id)
        if ops_home.may_use(user):
            override_log = [
                *channels_section(session, default_days=deps.settings.conversation_retention_days),
                *ops_home.section_blocks(session, now=now, filters=ops_filters),
            ]
        if user.role in RELEASE_ROLES:
            since = now.date() - timedelta(days=TRIP_DAYS_SHOWN)
            trips = [trip_view(trip) for trip in circuit_trips.unreleased_since(session, since=since)]
            failures = [failure_view(row) for row in deliveries.failed(session)]
            duplicates = [
                f"“{m.subject}” to {m.recipient} ({m.account_id}), resent {_when(m.sent_at or m.claimed_at)}"
                for m in outbox.possible_duplicates(session)
            ]
            tuning = tuning_views(session, now=now)
    view = build_home_view(
        digest,
        role_sections=role_sections,
        override_log=override_log,
        trips=trips,
        failures=failures,
        possible_duplicates=duplicates,
        exceptions=quiet,
        every_account=everyone,
        tuning=tuning,
    )
    return ops_home.with_filters(view, ops_filters)


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
