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
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

metadata = MetaData()


class SafeText(TypeDecorator[str]):
    """Text that can hold any string a client sends: NUL, which PostgreSQL refuses in text and SQLite would
    keep, is stored as U+FFFD on both, so one odd byte in a tool's output can never fail a write."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is not None and "\x00" in value:
            return value.replace("\x00", "\ufffd")
        return value


# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for a long-lived message table.
BigId = BigInteger().with_variant(Integer(), "sqlite")

projects = Table(
    "projects",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", SafeText(), nullable=False),
    Column("color", String(32), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("title", SafeText(), nullable=False),
    Column("workspace", SafeText(), nullable=False),
    Column("model", SafeText(), nullable=True),
    Column("profile", SafeText(), nullable=True),
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
    Column("tool_calls", SafeText(), nullable=False, default="[]"),
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
    Column("content", SafeText(), nullable=False),  # JSON: a string or a list of parts
    Column("text", SafeText(), nullable=False, default=""),  # plain text of content, for search and previews
    Column("tool_calls", SafeText(), nullable=True),  # JSON list, OpenAI shape
    Column("tool_call_id", SafeText(), nullable=True),
    Column("name", SafeText(), nullable=True),
    Column("reasoning", SafeText(), nullable=True),
    Column("meta", SafeText(), nullable=True),  # JSON object: every other key the message carried
    Column("model", SafeText(), nullable=True),
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
    Column("content", SafeText(), nullable=False),  # JSON: the user message content
    Column("model", SafeText(), nullable=True),
    Column("attachments", SafeText(), nullable=True),  # JSON list
    Column("created_at", Float, nullable=False),
    Index("ix_queued_messages_session", "session_id", "id"),
)
