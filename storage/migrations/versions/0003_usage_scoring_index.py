"""covering index for the bulk scoring pass over daily usage

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_usage_daily_scoring", "usage_daily", ["account_id", "day", "active_users", "licensed_seats"]
    )


def downgrade() -> None:
    op.drop_index("ix_usage_daily_scoring", table_name="usage_daily")
