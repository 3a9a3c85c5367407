"""the decision engine: account executives, card delivery, circuit-breaker trips

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.column_types import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("account_executive_slack_id", sa.String(32), nullable=True))
    with op.batch_alter_table("escalation_cards") as batch:
        batch.add_column(sa.Column("delivery", sa.String(8), nullable=False, server_default="dm"))
    op.create_table(
        "circuit_breaker_trips",
        sa.Column("as_of", sa.Date(), primary_key=True),
        sa.Column("trigger", sa.String(24), primary_key=True),
        sa.Column("fired", sa.Integer(), nullable=False),
        sa.Column("scored", sa.Integer(), nullable=False),
        sa.Column("max_share", sa.Float(), nullable=False),
        sa.Column("config_version", sa.Integer(), nullable=True),
        sa.Column("tripped_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("alerted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("released_by", sa.String(32), nullable=True),
        sa.Column("released_at", UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("circuit_breaker_trips")
    with op.batch_alter_table("escalation_cards") as batch:
        batch.drop_column("delivery")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("account_executive_slack_id")
