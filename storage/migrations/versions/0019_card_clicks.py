"""card_clicks: an Approve or Take over click, recorded before its ack and decided after

A click is one INSERT keyed by what Slack sends again on a retry (action, card, person and the
click's own action_ts), so the ack waits on one short write rather than on the whole decision.
The decision marks the click done in its own transaction; a click left pending (its replica
died after the ack) is decided by the next sweep on any replica.

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.column_types import UTCDateTime

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "card_clicks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("click_key", sa.String(160), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(32), nullable=False),
        sa.Column("clicked_channel", sa.String(32), nullable=True),
        sa.Column("clicked_ts", sa.String(32), nullable=True),
        sa.Column("response_url", sa.Text(), nullable=True),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("click_key", name="uq_card_clicks_click_key"),
    )
    op.create_index("ix_card_clicks_state_received", "card_clicks", ["state", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_card_clicks_state_received", table_name="card_clicks")
    op.drop_table("card_clicks")
