"""Build a user's App Home view from storage."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.blocks.circuit_alert import TripView
from bot.blocks.delivery_failure import FailureView
from bot.blocks.home import build_home_view
from bot.blocks.tuning import ProposalView
from bot.delivery.failures import failure_view
from bot.deps import Deps
from bot.workflows import ops_home
from bot.workflows.circuit_alerts import RELEASE_ROLES, trip_view
from bot.workflows.digest_views import build_digest_views
from bot.workflows.exceptions import views as exceptions_views
from bot.workflows.tuning_message import home_views as tuning_views
from storage.models import Account, CircuitBreakerTrip, User
from storage.repositories import deliveries, outbox
from storage.repositories.override_stats import OverrideFilters

TRIP_DAYS_SHOWN = 7  # circuit-breaker trips still waiting for ops, this recent


def home_view_for(deps: Deps, *, slack_id: str, ops_filters: OverrideFilters | None = None) -> dict[str, Any]:
    """`ops_filters`: the override-log filters ops chose (bot.workflows.ops_home)."""
    now = deps.clock.now()
    with deps.session_factory() as session:
        user = session.get(User, slack_id)
        if user is None:
            return build_home_view(None)
        owns_accounts = session.scalar(
            select(Account.account_id).where(Account.owner_slack_id == slack_id).limit(1)
        )
        digest = build_digest_views(session, users=[user], now=now)[slack_id] if owns_accounts else None
        override_log: list[dict[str, Any]] = []
        trips: list[TripView] = []
        failures: list[FailureView] = []
        duplicates: list[str] = []
        tuning: list[ProposalView] | None = None
        quiet, everyone = exceptions_views.home_views(session, actor=slack_id)
        if ops_home.may_use(user):
            override_log = ops_home.section_blocks(session, now=now, filters=ops_filters)
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
                f"“{m.subject}” to {m.recipient} ({m.account_id}), resent {m.sent_at or m.claimed_at:%Y-%m-%d %H:%M} UTC"
                for m in outbox.possible_duplicates(session)
            ]
            tuning = tuning_views(session, now=now)
    view = build_home_view(
        digest,
        override_log=override_log,
        trips=trips,
        failures=failures,
        possible_duplicates=duplicates,
        exceptions=quiet,
        every_account=everyone,
        tuning=tuning,
    )
    return ops_home.with_filters(view, ops_filters)
