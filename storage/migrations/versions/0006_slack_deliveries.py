"""Slack deliveries owed exactly once, and when an automated touch became visible

Adds `slack_deliveries` (every Slack message Tandem owes someone: cards, escalation notices,
circuit-breaker alerts, delivery-failure notices; claimed before posting, retried with
backoff, failed visibly) and `outbox.visible_since` (when the CSM's digest first showed an
automated touch with its Cancel button).

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.column_types import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(160), nullable=False, unique=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("card_id", sa.Integer(), sa.ForeignKey("escalation_cards.id"), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("blocks", sa.JSON(), nullable=True),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("claim", sa.String(32), nullable=True),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("maybe_posted_since", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("channel_id", sa.String(32), nullable=True),
        sa.Column("message_ts", sa.String(32), nullable=True),
        sa.Column("ops_told_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_slack_deliveries_due", "slack_deliveries", ["state", "next_attempt_at"])
    op.create_index("ix_slack_deliveries_card_id", "slack_deliveries", ["card_id"])
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("visible_since", UTCDateTime(), nullable=True))
    # Touches queued before this version were shown by the digests as they were: keep their
    # send time rather than hold them for a digest that already went out.
    op.execute("UPDATE outbox SET visible_since = created_at WHERE state = 'queued'")


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("visible_since")
    op.drop_index("ix_slack_deliveries_card_id", table_name="slack_deliveries")
    op.drop_index("ix_slack_deliveries_due", table_name="slack_deliveries")
    op.drop_table("slack_deliveries")
