"""outbox retries that end visibly: when a send was claimed, a possible duplicate, ops told

Adds `outbox.claimed_at` (a message stuck in `sending` past a timeout is reconciled: resent
with its original Message-ID), `outbox.possible_duplicate` (set on such a resend, for ops) and
`outbox.ops_told_at` (a message that failed for good is announced to ops once).

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.column_types import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claimed_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("possible_duplicate", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("ops_told_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("ops_told_at")
        batch.drop_column("possible_duplicate")
        batch.drop_column("claimed_at")
