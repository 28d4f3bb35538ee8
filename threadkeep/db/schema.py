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
    func,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from ..jsoncodec import mend_surrogates

metadata = MetaData()


class SafeText(TypeDecorator[str]):
    """Text that can hold any string a client sends: NUL, which PostgreSQL refuses in text and SQLite would
    keep, is stored as U+FFFD on both, so one odd byte in a tool's output can never fail a write; so are lone
    UTF-16 surrogates (no driver can encode them), and a split surrogate pair is joined (`jsoncodec`)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if "\x00" in value:
            value = value.replace("\x00", "\ufffd")
        return mend_surrogates(value)


# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for a long-lived message table.
BigId = BigInteger().with_variant(Integer(), "sqlite")

# The user that stands for the single user of `--auth none` / `password`, and that owns a store made before
# accounts existed; the first admin added in `users` mode takes this row over (so it keeps that data).
LOCAL_USER_ID = "local"

users = Table(
    "users",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),  # stored lower-case
    Column("display_name", SafeText(), nullable=True),
    Column("email", SafeText(), nullable=True),
    Column("role", String(16), nullable=False),  # "admin" | "user"
    Column("password_hash", Text, nullable=True),  # argon2id; None: cannot log in with a password
    Column("disabled", Boolean, nullable=False, default=False),
    Column("source", String(16), nullable=False),  # "local" | "oidc" | "proxy"
    Column("external_id", SafeText(), nullable=True, unique=True),  # "<issuer>|<sub>" or "proxy|<name>"
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("last_login_at", Float, nullable=True),
)

login_sessions = Table(
    "login_sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # sha256 of the cookie's token: a leaked table logs nobody in
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_seen_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),  # absolute expiry; idle expiry follows last_seen_at
    Column("ip", String(64), nullable=True),
    Column("user_agent", SafeText(), nullable=True),
    Index("ix_login_sessions_user", "user_id"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", SafeText(), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),  # the first characters, to recognise a token in a list
    Column("scope", String(16), nullable=False),  # "read" | "write" | "admin"
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=True),
    Column("last_used_at", Float, nullable=True),
    Column("revoked_at", Float, nullable=True),
    Index("ix_api_tokens_user", "user_id"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("event", String(64), nullable=False),
    Column("actor_id", String(32), nullable=True),
    Column("actor", SafeText(), nullable=True),  # the username then: kept when the user is removed
    Column("target", SafeText(), nullable=True),
    Column("ip", String(64), nullable=True),
    Column("detail", SafeText(), nullable=True),  # JSON object
    Index("ix_audit_log_at", "at"),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("key", String(200), primary_key=True),  # "user:<name>" or "ip:<address>"
    Column("failures", Integer, nullable=False),
    Column("first_at", Float, nullable=False),
    Column("locked_until", Float, nullable=True),
)

server_secrets = Table(
    "server_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(128), nullable=False),
)

projects = Table(
    "projects",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("owner_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", SafeText(), nullable=False),
    Column("color", String(32), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_projects_owner", "owner_id", "created_at"),
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
    Column("owner_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("allow_network", Boolean, nullable=False, default=False),  # run_command may use the network
    Index("ix_sessions_project", "project_id"),
)
# The list's order, last activity first (migration 0005): the store's queries repeat this expression exactly,
# so both databases walk these indexes for the list and its keyset cursor.
ACTIVITY = func.coalesce(sessions.c.last_message_at, sessions.c.updated_at)
Index("ix_sessions_owner_activity", sessions.c.owner_id, ACTIVITY, sessions.c.id)
Index("ix_sessions_owner_archived_activity", sessions.c.owner_id, sessions.c.archived, ACTIVITY, sessions.c.id)
Index("ix_sessions_owner_pinned_activity", sessions.c.owner_id, sessions.c.pinned, ACTIVITY, sessions.c.id)

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
    Column("owner_id", String(32), nullable=True),
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

saved_workspaces = Table(
    "saved_workspaces",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("owner_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("path", SafeText(), nullable=False),  # absolute, resolved
    Column("name", SafeText(), nullable=False),
    Column("position", Integer, nullable=False),  # the order of the user's list
    Column("created_at", Float, nullable=False),
    UniqueConstraint("owner_id", "path", name="uq_saved_workspaces_owner_path"),
    Index("ix_saved_workspaces_owner", "owner_id", "position"),
)

user_settings = Table(
    "user_settings",
    metadata,
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("settings", SafeText(), nullable=False, default="{}"),  # JSON object: hermes' /api/settings keys
    Column("last_workspace", SafeText(), nullable=True),  # where a new session without a workspace starts
    Column("updated_at", Float, nullable=False),
)
