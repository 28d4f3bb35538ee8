"""Table definitions (SQLAlchemy Core) shared by the store and the migrations' autogenerate checks.

Owns column names and types only. The full-text search objects (SQLite FTS5 tables and triggers, PostgreSQL
tsvector columns and GIN indexes) are dialect-specific DDL and live in the migrations, not here.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for a long-lived message table.
BigId = BigInteger().with_variant(Integer(), "sqlite")

projects = Table(
    "projects",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", Text, nullable=False),
    Column("color", String(32), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("title", Text, nullable=False),
    Column("workspace", Text, nullable=False),
    Column("model", Text, nullable=True),
    Column("profile", Text, nullable=True),
    Column("project_id", String(32), ForeignKey("projects.id", ondelete="SET NULL"), nullable=True),
    Column("pinned", Boolean, nullable=False, default=False),
    Column("archived", Boolean, nullable=False, default=False),
    Column("input_tokens", BigInteger, nullable=False, default=0),
    Column("output_tokens", BigInteger, nullable=False, default=0),
    Column("estimated_cost", Float, nullable=False, default=0.0),
    Column("message_count", Integer, nullable=False, default=0),
    # The seq the next appended message gets: messages are only ever removed from the tail, so seqs stay
    # contiguous and a keep_count maps straight onto a seq.
    Column("next_seq", Integer, nullable=False, default=0),
    Column("tool_calls", Text, nullable=False, default="[]"),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("last_message_at", Float, nullable=True),
    Column("active_stream_id", String(64), nullable=True),
    # Bumped by every mutation; lets clients and other instances detect a change cheaply.
    Column("version", Integer, nullable=False, default=1),
    Index("ix_sessions_list", "updated_at", "id"),
    Index("ix_sessions_archived_list", "archived", "updated_at", "id"),
    Index("ix_sessions_pinned_list", "pinned", "updated_at", "id"),
    Index("ix_sessions_project", "project_id"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("session_id", String(64), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("role", String(32), nullable=False),
    Column("content", Text, nullable=False),  # JSON: a string or a list of parts
    Column("text", Text, nullable=False, default=""),  # plain text of content, for search and previews
    Column("tool_calls", Text, nullable=True),  # JSON list, OpenAI shape
    Column("tool_call_id", Text, nullable=True),
    Column("name", Text, nullable=True),
    Column("reasoning", Text, nullable=True),
    Column("meta", Text, nullable=True),  # JSON object: every other key the message carried
    Column("model", Text, nullable=True),
    Column("input_tokens", Integer, nullable=True),
    Column("output_tokens", Integer, nullable=True),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("session_id", "seq", name="uq_messages_session_seq"),
)

deleted_sessions = Table(
    "deleted_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("deleted_at", Float, nullable=False),
)

queued_messages = Table(
    "queued_messages",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("session_id", String(64), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("content", Text, nullable=False),  # JSON: the user message content
    Column("model", Text, nullable=True),
    Column("attachments", Text, nullable=True),  # JSON list
    Column("created_at", Float, nullable=False),
    Index("ix_queued_messages_session", "session_id", "id"),
)
