"""Per-user workspaces and settings: the list of saved workspaces each user keeps (hermes' workspace
panel) and one row of settings per user (hermes' /api/settings JSON, plus the last workspace used).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "saved_workspaces",
        sa.Column("id", big_id, primary_key=True, autoincrement=True),
        sa.Column("owner_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("owner_id", "path", name="uq_saved_workspaces_owner_path"),
    )
    op.create_index("ix_saved_workspaces_owner", "saved_workspaces", ["owner_id", "position"])
    op.create_table(
        "user_settings",
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("settings", sa.Text, nullable=False, server_default="{}"),
        sa.Column("last_workspace", sa.Text, nullable=True),
        sa.Column("updated_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("threadkeep migrations are forward-only")
