"""Audit cards below the line: cards without a signal, with the chance they had of being drawn

`escalation_cards` gains `kind` ("fired", or "audit" for a near miss drawn at random below a
threshold trigger's line), `propensity` (an audit card's chance of being drawn; NULL, i.e. 1,
for a fired card), `audit_key` (recipient and ISO week, unique: one audit card per CSM per
week) and `audit` (the near miss: trigger, value, threshold, day). `signal_id` becomes nullable:
an audit card asks about an account no trigger fired on. On SQLite the table is rebuilt (batch
mode); the migration environment turns foreign-key enforcement off around it, as SQLite
requires, and checks every reference afterwards.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("escalation_cards") as batch:
        batch.alter_column("signal_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("kind", sa.String(8), nullable=False, server_default="fired"))
        batch.add_column(sa.Column("propensity", sa.Float(), nullable=True))
        batch.add_column(sa.Column("audit_key", sa.String(48), nullable=True))
        batch.add_column(sa.Column("audit", sa.JSON(), nullable=True))
        batch.create_index("ix_escalation_cards_audit_key", ["audit_key"], unique=True)


def downgrade() -> None:
    op.execute("DELETE FROM slack_deliveries WHERE card_id IN (SELECT id FROM escalation_cards WHERE kind = 'audit')")
    op.execute("DELETE FROM override_log WHERE card_id IN (SELECT id FROM escalation_cards WHERE kind = 'audit')")
    op.execute("DELETE FROM escalation_cards WHERE kind = 'audit'")
    with op.batch_alter_table("escalation_cards") as batch:
        batch.drop_index("ix_escalation_cards_audit_key")
        batch.drop_column("audit")
        batch.drop_column("audit_key")
        batch.drop_column("propensity")
        batch.drop_column("kind")
        batch.alter_column("signal_id", existing_type=sa.Integer(), nullable=False)
