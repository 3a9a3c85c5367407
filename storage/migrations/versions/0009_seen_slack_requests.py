"""Signed Slack requests already acted on, so a replay is refused across replicas

Adds `seen_slack_requests`: one row per state-changing request Tandem acted on (`/veto`,
`/flag`, a card's "Always human"), keyed by a hash of its Slack signature (an HMAC of the
request's timestamp and body, so a replay carries the same one). Rows expire when Bolt would
refuse the timestamp anyway (five minutes, plus a margin) and are purged as new ones arrive.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.column_types import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seen_slack_requests",
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(48), nullable=False),
        sa.Column("actor_slack_id", sa.String(32), nullable=False),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_seen_slack_requests_expires_at", "seen_slack_requests", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_seen_slack_requests_expires_at", table_name="seen_slack_requests")
    op.drop_table("seen_slack_requests")
