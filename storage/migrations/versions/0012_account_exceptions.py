"""account exceptions: "quiet until it gets worse", one trigger on one account

Adds `account_exceptions`: an exception offered to an account's owner after repeated
known-context dismissals, or set from a card's menu; while active, its trigger is a quiet hold
on the account until it expires, the score falls a set number of points below `baseline_score`,
or another trigger fires. A partial unique index keeps at most one active per account and
trigger; `card_id` is unique, so one dismissal is offered once. Widens `override_log.action`
to 24 characters for the exception actions (`exception_lapsed` and friends).

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.column_types import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE_ONLY = sa.text("state = 'active'")


def upgrade() -> None:
    op.create_table(
        "account_exceptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("trigger", sa.String(24), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("offered_at", UTCDateTime(), nullable=True),
        sa.Column("set_by", sa.String(32), nullable=True),
        sa.Column("set_at", UTCDateTime(), nullable=True),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("baseline_score", sa.Integer(), nullable=True),
        sa.Column("declined_by", sa.String(32), nullable=True),
        sa.Column("declined_at", UTCDateTime(), nullable=True),
        sa.Column("lapsed_at", UTCDateTime(), nullable=True),
        sa.Column("lapse_reason", sa.String(16), nullable=True),
        sa.Column("lapse_detail", sa.Text(), nullable=True),
        sa.Column("lifted_by", sa.String(32), nullable=True),
        sa.Column("lifted_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.account_id"]),
        sa.ForeignKeyConstraint(["card_id"], ["escalation_cards.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("card_id"),
    )
    op.create_index("ix_account_exceptions_account_id", "account_exceptions", ["account_id"])
    op.create_index("ix_account_exceptions_state", "account_exceptions", ["state"])
    op.create_index(
        "uq_account_exceptions_active",
        "account_exceptions",
        ["account_id", "trigger"],
        unique=True,
        sqlite_where=ACTIVE_ONLY,
        postgresql_where=ACTIVE_ONLY,
    )
    with op.batch_alter_table("override_log") as batch:
        batch.alter_column(
            "action", existing_type=sa.String(12), type_=sa.String(24), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("override_log") as batch:
        batch.alter_column(
            "action", existing_type=sa.String(24), type_=sa.String(12), existing_nullable=False
        )
    op.drop_index("uq_account_exceptions_active", table_name="account_exceptions")
    op.drop_index("ix_account_exceptions_state", table_name="account_exceptions")
    op.drop_index("ix_account_exceptions_account_id", table_name="account_exceptions")
    op.drop_table("account_exceptions")
