"""Migrations on a store made before accounts (revision 0002), on SQLite and PostgreSQL: its sessions,
projects and tombstones belong to the `local` user afterwards, and the schema matches what the store expects."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from threadkeep.db import migrate
from threadkeep.db.database import Database
from threadkeep.db.schema import LOCAL_USER_ID
from threadkeep.sessions.store import SessionStores


async def _upgrade_to(db: Database, revision: str) -> None:
    def run(connection: Connection) -> None:
        from alembic import command

        command.upgrade(migrate._config(connection), revision)

    async with db.write() as conn:
        await conn.run_sync(run)


async def test_a_store_from_before_accounts_belongs_to_the_local_user(database_url: str) -> None:
    db = Database(database_url)
    try:
        await _upgrade_to(db, "0002")
        now = time.time()
        async with db.write() as conn:
            await conn.execute(text("INSERT INTO projects (id, name, color, created_at, updated_at) "
                                    "VALUES ('p1', 'Old', NULL, :t, :t)"), {"t": now})
            await conn.execute(text(
                "INSERT INTO sessions (id, title, workspace, pinned, archived, input_tokens, output_tokens, "
                "estimated_cost, message_count, next_seq, tool_calls, created_at, updated_at, version, project_id) "
                "VALUES ('s1', 'old chat', '/tmp', false, false, 0, 0, 0, 1, 1, '[]', :t, :t, 1, 'p1')"), {"t": now})
            await conn.execute(text(
                "INSERT INTO messages (session_id, seq, role, content, text, created_at) "
                "VALUES ('s1', 0, 'user', '\"hello\"', 'hello', :t)"), {"t": now})
            await conn.execute(text("INSERT INTO deleted_sessions (id, deleted_at) VALUES ('gone', :t)"), {"t": now})
        assert await migrate.upgrade(db) == migrate.head_revision()
        local = SessionStores(db).of(LOCAL_USER_ID)
        page = await local.page_of_messages("s1")
        assert page.session.title == "old chat" and page.session.project_id == "p1"
        assert [m.text for m in page.messages] == ["hello"]
        assert await local.is_deleted("gone")
        other = SessionStores(db).of("someone-else")
        assert (await other.list()).sessions == []
        async with db.read() as conn:
            users: Any = (await conn.execute(text("SELECT id, username, role FROM users"))).all()
        assert [tuple(u) for u in users] == [("local", "local", "admin")]
        # The store works on the migrated schema: a new session, a turn's writes, a search.
        made = await local.create(workspace="/tmp", title="after")
        assert (await local.get(made.id)).owner_id == LOCAL_USER_ID
    finally:
        await db.dispose()
