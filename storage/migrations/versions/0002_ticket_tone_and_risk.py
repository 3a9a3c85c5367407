"""ticket tone, expansion readiness and renewal risk

Adds tickets.sentiment (VADER compound tone, backfilled here for tickets already stored) and
health_snapshots.expansion_readiness / renewal_risk.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.ticket_tone_backfill import rescore_ticket_tone

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("sentiment", sa.Float(), nullable=True))
    with op.batch_alter_table("health_snapshots") as batch:
        batch.add_column(sa.Column("expansion_readiness", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("renewal_risk", sa.Float(), nullable=True))
    # Score the tone of tickets stored before this revision, so no ticket lacks it.
    rescore_ticket_tone(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("health_snapshots") as batch:
        batch.drop_column("renewal_risk")
        batch.drop_column("expansion_readiness")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("sentiment")
