"""ticket tone, expansion readiness and renewal risk

Adds tickets.sentiment (VADER compound tone, backfilled here for tickets already stored) and
health_snapshots.expansion_readiness / renewal_risk.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL_BATCH = 5_000


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("sentiment", sa.Float(), nullable=True))
    with op.batch_alter_table("health_snapshots") as batch:
        batch.add_column(sa.Column("expansion_readiness", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("renewal_risk", sa.Float(), nullable=True))
    _backfill_ticket_tone()


def _backfill_ticket_tone() -> None:
    """Score the tone of tickets stored before this revision, so no ticket lacks it."""
    from scoring.sentiment import ticket_tone  # the app's own scorer: the same figure import writes

    bind = op.get_bind()
    tickets = sa.table(
        "tickets", sa.column("ticket_id"), sa.column("subject"), sa.column("body"), sa.column("sentiment")
    )
    rows = bind.execute(sa.select(tickets.c.ticket_id, tickets.c.subject, tickets.c.body)).all()
    update = (
        sa.update(tickets)
        .where(tickets.c.ticket_id == sa.bindparam("key"))
        .values(sentiment=sa.bindparam("tone"))
    )
    for start in range(0, len(rows), BACKFILL_BATCH):
        batch = rows[start : start + BACKFILL_BATCH]
        bind.execute(update, [{"key": r[0], "tone": ticket_tone(r[1] or "", r[2] or "")} for r in batch])


def downgrade() -> None:
    with op.batch_alter_table("health_snapshots") as batch:
        batch.drop_column("renewal_risk")
        batch.drop_column("expansion_readiness")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("sentiment")
