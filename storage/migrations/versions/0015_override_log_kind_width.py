"""override log: room for a tuning proposal's kind in proposed_route

Tuning steps (tune_proposed, tune_accepted, ...) keep the proposal's kind in
`override_log.proposed_route`; "calibration" is 11 characters, one more than the column held.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("override_log") as batch:
        batch.alter_column("proposed_route", type_=sa.String(16), existing_type=sa.String(10), existing_nullable=False)


def downgrade() -> None:
    # A longer kind would not fit back: cut it (the route values themselves are at most 8).
    op.execute("UPDATE override_log SET proposed_route = substr(proposed_route, 1, 10)")
    with op.batch_alter_table("override_log") as batch:
        batch.alter_column("proposed_route", type_=sa.String(10), existing_type=sa.String(16), existing_nullable=False)
