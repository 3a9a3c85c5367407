"""Build a user's App Home view from storage."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.blocks.home import build_home_view
from bot.deps import Deps
from bot.workflows.digest import build_digest_views
from storage.enums import Role
from storage.models import Account, OverrideRecord, User

OPS_ROLES = frozenset({Role.OPS, Role.ADMIN, Role.MANAGER})


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
        if user.role in OPS_ROLES:
            actions = session.scalars(
                select(OverrideRecord.action).where(OverrideRecord.at >= now - timedelta(days=30))
            )
            counts = dict(Counter(actions))
    return build_home_view(digest, override_counts=counts)
