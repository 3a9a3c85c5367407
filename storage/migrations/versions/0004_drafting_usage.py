"""drafting usage: estimated cost, the structured brief, and cache reuse on drafts

Adds drafts.cost_usd (the estimated price of the LLM calls behind a draft), drafts.document
(a brief's sections, claims and cited sources, so a cached brief is rebuilt exactly),
drafts.reused_draft_id (the stored draft a cache hit copied) and an index on the cache key.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("drafts") as batch:
        batch.add_column(sa.Column("cost_usd", sa.Float(), nullable=True))
        batch.add_column(sa.Column("document", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("reused_draft_id", sa.Integer(), nullable=True))
    op.create_index("ix_drafts_cache_key", "drafts", ["facts_hash", "prompt_version", "kind", "author"])


def downgrade() -> None:
    op.drop_index("ix_drafts_cache_key", table_name="drafts")
    with op.batch_alter_table("drafts") as batch:
        batch.drop_column("reused_draft_id")
        batch.drop_column("document")
        batch.drop_column("cost_usd")
