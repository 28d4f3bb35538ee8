"""Schema migrations: bring a database to the newest Alembic revision.

Owns the Alembic configuration (built in code, no alembic.ini) and the upgrade call used by `serve` on start
and by `threadkeep db upgrade`. The revisions themselves live in `threadkeep/migrations/versions/`.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from .database import Database

_SCRIPT_LOCATION = str(Path(__file__).parent / "migrations")


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", _SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory(_SCRIPT_LOCATION).get_current_head()


async def upgrade(db: Database) -> str | None:
    """Apply every pending revision; returns the revision the database is at afterwards."""

    def _run(connection: Connection) -> str | None:
        command.upgrade(_config(connection), "head")
        return MigrationContext.configure(connection).get_current_revision()

    async with db.write() as conn:
        return await conn.run_sync(_run)
