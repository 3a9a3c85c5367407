"""assistant: conversations, pending actions, answers; automation paused for a while

`assistant_conversations` keeps a thread's context (channel, thread ts) with a time-to-live, so
a follow-up keeps its subject without reading Slack's history. `assistant_actions` holds a
state-changing request asked in words until someone with the right clicks Confirm (consumed
once, refused when expired). `assistant_answers` keeps every answer with its question, how it
was made (grammar or the LLM), tokens and cost, and its message ts for feedback.
`accounts.automation_paused_until`: "pause automation on X for N days".

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.column_types import UTCDateTime

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("automation_paused_until", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("automation_paused_by", sa.String(32), nullable=True))
    op.create_table(
        "assistant_conversations",
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("thread_ts", sa.String(32), nullable=False),
        sa.Column("requester", sa.String(32), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=True),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("turns", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "thread_ts"),
    )
    op.create_index("ix_assistant_conversations_expires_at", "assistant_conversations", ["expires_at"])
    op.create_table(
        "assistant_actions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("requester", sa.String(32), nullable=False),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=True),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("thread_ts", sa.String(32), nullable=True),
        sa.Column("message_ts", sa.String(32), nullable=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(32), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.account_id"]),
        sa.ForeignKeyConstraint(["card_id"], ["escalation_cards.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_assistant_actions_state", "assistant_actions", ["state"])
    op.create_table(
        "assistant_answers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("requester", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("thread_ts", sa.String(32), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(32), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=True),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=True),
        sa.Column("via", sa.String(100), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=True),
        sa.Column("completion_tokens", sa.Integer(), nullable=True),
        sa.Column("cost_usd", sa.Float(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("message_ts", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_assistant_answers_message_ts", "assistant_answers", ["message_ts"])


def downgrade() -> None:
    op.drop_index("ix_assistant_answers_message_ts", table_name="assistant_answers")
    op.drop_table("assistant_answers")
    op.drop_index("ix_assistant_actions_state", table_name="assistant_actions")
    op.drop_table("assistant_actions")
    op.drop_index("ix_assistant_conversations_expires_at", table_name="assistant_conversations")
    op.drop_table("assistant_conversations")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("automation_paused_by")
        batch.drop_column("automation_paused_until")
