"""conversations: Slack Connect channels linked to accounts, their messages and what they signal

`accounts.domain` and `accounts.champion_email` (accounts.csv) let a channel's external members
be matched to an account and the champion be recognised. `conversation_channels` holds each
channel Tandem was invited to and its link state (proposed -> linked / excluded / unlinked),
who decided and the backfill's cursor. `conversation_people` classifies each member once
(customer, internal or bot, by their team). `conversation_messages` stores a message once per
(channel, ts); its text is kept until `keep_text_until` (the retention period) and then set to
NULL by the purge, leaving only what was derived (tone, topics, question, answered).
`conversation_topic_cache` caches the LLM topic classifier's answers by a hash of the text
(never the text itself) with the tokens spent, which the daily token budget counts.

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.column_types import UTCDateTime

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("domain", sa.String(253), nullable=True))
        batch.add_column(sa.Column("champion_email", sa.String(320), nullable=True))
    op.create_index("ix_accounts_domain", "accounts", ["domain"])
    op.create_table(
        "conversation_channels",
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("is_private", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("external_team_ids", sa.JSON(), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("match_reason", sa.Text(), nullable=True),
        sa.Column("proposed_to", sa.String(32), nullable=True),
        sa.Column("proposal_channel", sa.String(32), nullable=True),
        sa.Column("proposal_ts", sa.String(32), nullable=True),
        sa.Column("decided_by", sa.String(32), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("retention_days", sa.Integer(), nullable=True),
        sa.Column("backfill_cursor", sa.String(500), nullable=True),
        sa.Column("backfill_oldest", sa.String(32), nullable=True),
        sa.Column("backfill_state", sa.String(12), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.account_id"]),
        sa.PrimaryKeyConstraint("channel_id"),
    )
    op.create_index("ix_conversation_channels_account_id", "conversation_channels", ["account_id"])
    op.create_table(
        "conversation_people",
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("team_id", sa.String(32), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "conversation_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("thread_ts", sa.String(32), nullable=True),
        sa.Column("account_id", sa.String(64), nullable=True),
        sa.Column("user_id", sa.String(32), nullable=True),
        sa.Column("author_kind", sa.String(10), nullable=False),
        sa.Column("posted_at", UTCDateTime(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("keep_text_until", UTCDateTime(), nullable=True),
        sa.Column("text_purged_at", UTCDateTime(), nullable=True),
        sa.Column("edited_at", UTCDateTime(), nullable=True),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("tone", sa.Float(), nullable=True),
        sa.Column("is_question", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("permalink", sa.String(500), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["channel_id"], ["conversation_channels.channel_id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_id", "ts", name="uq_conversation_messages_channel_ts"),
    )
    op.create_index(
        "ix_conversation_messages_account_posted", "conversation_messages", ["account_id", "posted_at"]
    )
    op.create_index("ix_conversation_messages_keep_text_until", "conversation_messages", ["keep_text_until"])
    # A channel's recent messages: answering a customer's question reads those around it.
    op.create_index(
        "ix_conversation_messages_channel_posted", "conversation_messages", ["channel_id", "posted_at"]
    )
    op.create_table(
        "conversation_topic_cache",
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("tokens", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("text_hash", "model"),
    )
    op.create_index("ix_conversation_topic_cache_created_at", "conversation_topic_cache", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_conversation_topic_cache_created_at", table_name="conversation_topic_cache")
    op.drop_table("conversation_topic_cache")
    op.drop_index("ix_conversation_messages_channel_posted", table_name="conversation_messages")
    op.drop_index("ix_conversation_messages_keep_text_until", table_name="conversation_messages")
    op.drop_index("ix_conversation_messages_account_posted", table_name="conversation_messages")
    op.drop_table("conversation_messages")
    op.drop_table("conversation_people")
    op.drop_index("ix_conversation_channels_account_id", table_name="conversation_channels")
    op.drop_table("conversation_channels")
    op.drop_index("ix_accounts_domain", table_name="accounts")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("champion_email")
        batch.drop_column("domain")
