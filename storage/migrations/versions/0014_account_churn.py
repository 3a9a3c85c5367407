"""account churn: the day an account left, for customers without a renewal date

Adds `account_churns`: one row per account that left outside a renewal (monthly and
self-serve customers), with the day it left, imported from `outcomes.csv` rows that give
`churned_at` instead of `renewal_date`. Renewal outcomes stay in `renewal_outcomes`.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_churns",
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("churned_at", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.account_id"]),
        sa.PrimaryKeyConstraint("account_id"),
    )


def downgrade() -> None:
    op.drop_table("account_churns")
