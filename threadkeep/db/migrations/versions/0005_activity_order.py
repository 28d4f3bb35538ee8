"""The session list orders by last activity, `coalesce(last_message_at, updated_at)`, newest first: a rename
or a pin no longer moves an old chat to the top; a new message does. An expression index per owner (and per
owner + archived / pinned, the sidebar's filters) serves that order and its keyset cursor.

Why an expression index rather than a stored `activity_at` column kept by the store: the order is a pure
function of two columns every write path already maintains, so it can never drift (imports, branches, the
turn's checkpoints and a project's ON DELETE SET NULL all keep it right without a line of store code), and
both SQLite (3.9+) and PostgreSQL use an index on the expression when a query repeats it exactly, which
`db.schema.ACTIVITY` guarantees. The `updated_at` list indexes go: nothing orders by it any more.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ACTIVITY = "coalesce(last_message_at, updated_at)"


def upgrade() -> None:
    for old in ("ix_sessions_owner_list", "ix_sessions_owner_archived_list", "ix_sessions_owner_pinned_list"):
        op.drop_index(old, table_name="sessions")
    activity = sa.text(_ACTIVITY)
    op.create_index("ix_sessions_owner_activity", "sessions", ["owner_id", activity, "id"])
    op.create_index("ix_sessions_owner_archived_activity", "sessions", ["owner_id", "archived", activity, "id"])
    op.create_index("ix_sessions_owner_pinned_activity", "sessions", ["owner_id", "pinned", activity, "id"])


def downgrade() -> None:
    raise NotImplementedError("threadkeep migrations are forward-only")
