"""Act once per signed Slack request: a replay of the same signed bytes is recognised.

Slack signs each request over its timestamp and body, and Bolt accepts a timestamp for five
minutes either way; within that window the same bytes (captured from a log or a proxy) would
verify again. State-changing commands (`/veto`, `/flag`, a card's "Always human") therefore
record a hash of the signature in the database before acting, so a replay to any replica is
answered "already done". Rows expire once Bolt would refuse the timestamp anyway.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from bot.deps import Deps
from storage.db import transaction
from storage.repositories.seen_requests import first_sighting

ACCEPTED_SKEW = timedelta(minutes=5)  # Bolt's (slack_sdk's) signature check, either way
MARGIN = timedelta(minutes=1)  # clocks of replicas disagree a little
ALREADY_DONE = "Already done: Tandem acted on this exact request already. Nothing was changed again."


def fingerprint(signature: str) -> str:
    return hashlib.sha256(signature.encode()).hexdigest()


def first_time(deps: Deps, *, signature: str, timestamp: int, kind: str, actor: str) -> bool:
    """Record the signed request; False when it was recorded before (a replay: do nothing)."""
    expires_at = datetime.fromtimestamp(timestamp, UTC) + ACCEPTED_SKEW + MARGIN
    with transaction(deps.session_factory) as session:
        return first_sighting(
            session, fingerprint=fingerprint(signature), kind=kind[:48], actor=actor[:32],
            now=deps.clock.now(), expires_at=expires_at,
        )  # fmt: skip
