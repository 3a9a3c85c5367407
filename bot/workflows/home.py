"""Build a user's App Home view from storage."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.blocks.circuit_alert import TripView
from bot.blocks.delivery_failure import FailureView
from bot.blocks.home import build_home_view
from bot.blocks.slack_dates import slack_time
from bot.blocks.tuning import ProposalView
from bot.delivery.failures import failure_view
from bot.deps import Deps
from bot.workflows.circuit_alerts import RELEASE_ROLES, trip_view
from bot.workflows.digest_views import build_digest_views
from bot.workflows.exceptions import views as exceptions_views
from bot.workflows.tuning_message import home_views as tuning_views
from storage.enums import Role
from storage.models import Account, CircuitBreakerTrip, OverrideRecord, User
from storage.repositories import deliveries, outbox

OPS_ROLES = frozenset({Role.OPS, Role.ADMIN, Role.MANAGER})
TRIP_DAYS_SHOWN = 7  # circuit-breaker trips still waiting for ops, this recent


def home_view_for(deps: Deps, *, slack_id: str) -> dict[str, Any]:
    now = deps.clock.now()
    with deps.session_factory() as session:
        user = session.get(User, slack_id)
        if user is None:
            return build_home_view(None)
        owns_accounts = session.scalar(
            select(Account.account_id).where(Account.owner_slack_id == slack_id).limit(1)
        )
        digest = build_digest_views(session, users=[user], now=now)[slack_id] if owns_accounts else None
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
