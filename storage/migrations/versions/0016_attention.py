"""attention: the escalation ladder, snoozed cards and hand-backs

`escalation_cards` gains the ladder's state (`rung`: owner, reminded, manager, channel;
`ladder_since`: when its clock started, reset when a snoozed card comes back; `climbed_at`)
and a snooze (`snoozed_until`, `snooze_mode`: 1d, 3d, 1w or worse; `snooze_score`: the
account's score when snoozed, for waking on worsening; `snoozed_by`; `snooze_count`, which keys
each return's re-post). `accounts` gains `hand_back_reminded_at`: the reminder owed before a
taken-over account goes back to Tandem by itself. Every copy of a card in Slack is a
`slack_deliveries` row with the card's id, so no table is needed for them.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.column_types import UTCDateTime

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("escalation_cards") as batch:
        batch.add_column(sa.Column("rung", sa.String(10), nullable=False, server_default="owner"))
        batch.add_column(sa.Column("ladder_since", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("climbed_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("snoozed_until", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("snooze_mode", sa.String(8), nullable=True))
        batch.add_column(sa.Column("snooze_score", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("snoozed_by", sa.String(32), nullable=True))
        batch.add_column(sa.Column("snooze_count", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("hand_back_reminded_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("hand_back_reminded_at")
    with op.batch_alter_table("escalation_cards") as batch:
        for column in (
            "snooze_count", "snoozed_by", "snooze_score", "snooze_mode", "snoozed_until",
            "climbed_at", "ladder_since", "rung",
        ):  # fmt: skip
            batch.drop_column(column)
