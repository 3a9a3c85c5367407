"""tuning proposals: learned changes to the trigger configuration, decided by ops

Adds `tuning_proposals`: one row per proposal `tune propose` made (a threshold, a route or a
watched phrase), with the inactive configuration version that holds it, its parent, the
evidence and the replay over the last 90 days, and ops' decision (accepted, shadowed, rejected
with a reason, rolled back). Makes `override_log.account_id` nullable: the tuning steps are in the
override log too, and they are about the configuration, not one account.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.column_types import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tuning_proposals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(160), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("trigger", sa.String(24), nullable=False),
        sa.Column("segment", sa.String(16), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("config_version", sa.Integer(), nullable=False),
        sa.Column("parent_version", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(32), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("replay", sa.JSON(), nullable=False),
        sa.Column("drift", sa.JSON(), nullable=True),
        sa.Column("cycle_day", sa.Date(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(32), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("shadow_until", sa.Date(), nullable=True),
        sa.Column("shadow_report", sa.JSON(), nullable=True),
        sa.Column("rolled_back_by", sa.String(32), nullable=True),
        sa.Column("rolled_back_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("config_version"),
    )
    op.create_index("ix_tuning_proposals_state", "tuning_proposals", ["state"])
    op.create_index("ix_tuning_proposals_key", "tuning_proposals", ["key"])
    with op.batch_alter_table("override_log") as batch:
        batch.alter_column("account_id", existing_type=sa.String(64), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("override_log") as batch:
        batch.alter_column("account_id", existing_type=sa.String(64), nullable=False)
    op.drop_index("ix_tuning_proposals_key", table_name="tuning_proposals")
    op.drop_index("ix_tuning_proposals_state", table_name="tuning_proposals")
    op.drop_table("tuning_proposals")
