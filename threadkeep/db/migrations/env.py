"""Alembic environment: runs migrations on a connection handed over by `threadkeep.migrate`.

Owns nothing else; the revisions under versions/ own the schema changes, append-only.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - always driven through threadkeep.migrate
    raise RuntimeError("run migrations with `threadkeep db upgrade`, not the alembic command")

if connection.dialect.name == "postgresql":
    # Several instances may start at once against one database: one migrates, the others wait.
    connection.execute(text("SELECT pg_advisory_xact_lock(72631)"))

context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
