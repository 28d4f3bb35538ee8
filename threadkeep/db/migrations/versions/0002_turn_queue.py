"""Server-side queue of user messages sent while a turn was running.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "queued_messages",
        sa.Column("id", big_id, primary_key=True, autoincrement=True),
        sa.Column(
            "session_id", sa.String(64), sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("model", sa.Text, nullable=True),
        sa.Column("attachments", sa.Text, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_queued_messages_session", "queued_messages", ["session_id", "id"])


def downgrade() -> None:
    raise NotImplementedError("threadkeep migrations are forward-only")
