"""Accounts: users, login sessions, API tokens, the audit log, login throttling; every session and project
gets an owner. What the store held before belongs to the `local` user, whom the first admin takes over.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

LOCAL = "local"


def _owner_column(table: str) -> None:
    """owner_id on an existing table: a real foreign key on PostgreSQL. SQLite cannot add a NOT NULL column
    with a REFERENCES clause to a table that has rows, and rebuilding `sessions` would disturb its FTS rowids;
    there the store deletes a removed user's rows itself (it does so on both databases)."""
    if op.get_bind().dialect.name == "postgresql":
        op.add_column(table, sa.Column("owner_id", sa.String(32), nullable=False, server_default=LOCAL))
        op.alter_column(table, "owner_id", server_default=None)
        op.create_foreign_key(f"fk_{table}_owner", table, "users", ["owner_id"], ["id"], ondelete="CASCADE")
    else:
        op.add_column(table, sa.Column("owner_id", sa.String(32), nullable=False, server_default=LOCAL))


def upgrade() -> None:
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "users",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.Text, nullable=True),
        sa.Column("email", sa.Text, nullable=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=True),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("external_id", sa.Text, nullable=True, unique=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("last_login_at", sa.Float, nullable=True),
    )
    now = time.time()
    op.bulk_insert(
        sa.table("users", sa.column("id"), sa.column("username"), sa.column("role"), sa.column("source"),
                 sa.column("disabled"), sa.column("created_at"), sa.column("updated_at")),
        [{"id": LOCAL, "username": LOCAL, "role": "admin", "source": "local", "disabled": False,
          "created_at": now, "updated_at": now}],
    )
    op.create_table(
        "login_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("last_seen_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.Text, nullable=True),
    )
    op.create_index("ix_login_sessions_user", "login_sessions", ["user_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=True),
        sa.Column("last_used_at", sa.Float, nullable=True),
        sa.Column("revoked_at", sa.Float, nullable=True),
    )
    op.create_index("ix_api_tokens_user", "api_tokens", ["user_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", big_id, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("actor_id", sa.String(32), nullable=True),
        sa.Column("actor", sa.Text, nullable=True),
        sa.Column("target", sa.Text, nullable=True),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("detail", sa.Text, nullable=True),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("first_at", sa.Float, nullable=False),
        sa.Column("locked_until", sa.Float, nullable=True),
    )
    op.create_table(
        "server_secrets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(128), nullable=False),
    )
    _owner_column("sessions")
    _owner_column("projects")
    op.add_column("sessions", sa.Column("allow_network", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("deleted_sessions", sa.Column("owner_id", sa.String(32), nullable=True))
    op.execute(sa.text("UPDATE deleted_sessions SET owner_id = :o").bindparams(o=LOCAL))
    # Every list is one user's: the keyset indexes lead with the owner.
    for old in ("ix_sessions_list", "ix_sessions_archived_list", "ix_sessions_pinned_list"):
        op.drop_index(old, table_name="sessions")
    op.create_index("ix_sessions_owner_list", "sessions", ["owner_id", "updated_at", "id"])
    op.create_index("ix_sessions_owner_archived_list", "sessions", ["owner_id", "archived", "updated_at", "id"])
    op.create_index("ix_sessions_owner_pinned_list", "sessions", ["owner_id", "pinned", "updated_at", "id"])
    op.create_index("ix_projects_owner", "projects", ["owner_id", "created_at"])


def downgrade() -> None:
    raise NotImplementedError("threadkeep migrations are forward-only")
