"""scoring read indexes: feature_usage grouped by (account, feature) without a sort

The scoring pass reads feature use grouped by account and feature over a window of days. The
primary key (account_id, day, feature) puts the day between them, so SQLite sorted millions of
rows in a temporary B-tree (11.7 s of a 28 s read at 100,000 accounts); this covering index
streams the groups in order (6.2 s).

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_feature_usage_account_feature_day", "feature_usage", ["account_id", "feature", "day", "count"]
    )


def downgrade() -> None:
    op.drop_index("ix_feature_usage_account_feature_day", table_name="feature_usage")
