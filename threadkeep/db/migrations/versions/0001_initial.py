"""Initial schema: projects, sessions, messages, deleted-session tombstones, full-text search.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_SQLITE_FTS = [
    """CREATE VIRTUAL TABLE messages_fts USING fts5(
        text, content='messages', content_rowid='id', tokenize="unicode61 remove_diacritics 2")""",
    """CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text); END""",
    """CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text); END""",
    """CREATE TRIGGER messages_fts_au AFTER UPDATE OF text ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text); END""",
    """CREATE VIRTUAL TABLE sessions_fts USING fts5(
        title, content='sessions', content_rowid='rowid', tokenize="unicode61 remove_diacritics 2")""",
    """CREATE TRIGGER sessions_fts_ai AFTER INSERT ON sessions BEGIN
        INSERT INTO sessions_fts(rowid, title) VALUES (new.rowid, new.title); END""",
    """CREATE TRIGGER sessions_fts_ad AFTER DELETE ON sessions BEGIN
        INSERT INTO sessions_fts(sessions_fts, rowid, title) VALUES ('delete', old.rowid, old.title); END""",
    """CREATE TRIGGER sessions_fts_au AFTER UPDATE OF title ON sessions BEGIN
        INSERT INTO sessions_fts(sessions_fts, rowid, title) VALUES ('delete', old.rowid, old.title);
        INSERT INTO sessions_fts(rowid, title) VALUES (new.rowid, new.title); END""",
]

_POSTGRES_FTS = [
    """ALTER TABLE messages ADD COLUMN tsv tsvector
        GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED""",
    "CREATE INDEX ix_messages_tsv ON messages USING GIN (tsv)",
    """ALTER TABLE sessions ADD COLUMN title_tsv tsvector
        GENERATED ALWAYS AS (to_tsvector('simple', title)) STORED""",
    "CREATE INDEX ix_sessions_title_tsv ON sessions USING GIN (title_tsv)",
]


def upgrade() -> None:
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "projects",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("color", sa.String(32), nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("workspace", sa.Text, nullable=False),
        sa.Column("model", sa.Text, nullable=True),
        sa.Column("profile", sa.Text, nullable=True),
        sa.Column("project_id", sa.String(32), sa.ForeignKey("projects.id", ondelete="SET NULL")),
        sa.Column("pinned", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("input_tokens", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("output_tokens", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("estimated_cost", sa.Float, nullable=False, server_default="0"),
        sa.Column("message_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_seq", sa.Integer, nullable=False, server_default="0"),
        sa.Column("tool_calls", sa.Text, nullable=False, server_default="[]"),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("last_message_at", sa.Float, nullable=True),
        sa.Column("active_stream_id", sa.String(64), nullable=True),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    )
    op.create_index("ix_sessions_list", "sessions", ["updated_at", "id"])
    op.create_index("ix_sessions_archived_list", "sessions", ["archived", "updated_at", "id"])
    op.create_index("ix_sessions_pinned_list", "sessions", ["pinned", "updated_at", "id"])
    op.create_index("ix_sessions_project", "sessions", ["project_id"])
    op.create_table(
        "messages",
        sa.Column("id", big_id, primary_key=True, autoincrement=True),
        sa.Column(
            "session_id", sa.String(64), sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False, server_default=""),
        sa.Column("tool_calls", sa.Text, nullable=True),
        sa.Column("tool_call_id", sa.Text, nullable=True),
        sa.Column("name", sa.Text, nullable=True),
        sa.Column("reasoning", sa.Text, nullable=True),
        sa.Column("meta", sa.Text, nullable=True),
        sa.Column("model", sa.Text, nullable=True),
        sa.Column("input_tokens", sa.Integer, nullable=True),
        sa.Column("output_tokens", sa.Integer, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("session_id", "seq", name="uq_messages_session_seq"),
    )
    op.create_table(
        "deleted_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("deleted_at", sa.Float, nullable=False),
    )
    dialect = op.get_bind().dialect.name
    for statement in _SQLITE_FTS if dialect == "sqlite" else _POSTGRES_FTS:
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("threadkeep migrations are forward-only")
