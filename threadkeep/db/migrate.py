"""Schema migrations: bring a database to the newest Alembic revision.

Owns the Alembic configuration (built in code, no alembic.ini) and the upgrade call used by `serve` on start
and by `threadkeep db upgrade`. The revisions themselves live in `threadkeep/migrations/versions/`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from .database import Database

if TYPE_CHECKING:
    from alembic.config import Config

_SCRIPT_LOCATION = str(Path(__file__).parent / "migrations")
_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*[\"']([^\"']+)[\"']", re.MULTILINE)


def _config(connection: Connection) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", _SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(_SCRIPT_LOCATION).get_current_head()


def _newest_revision_file() -> str | None:
    """The head revision read from the files' `revision = "..."` lines, without importing Alembic.

    None when that is not clear-cut (no files, several heads): Alembic then decides.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (Path(_SCRIPT_LOCATION) / "versions").glob("*.py"):
        for kind, value in _REVISION.findall(path.read_text()):
            (revisions if kind == "revision" else parents).add(value)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


async def _current_revision(db: Database) -> str | None:
    try:
        async with db.read() as conn:
            value = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    except DBAPIError:  # a fresh database: no alembic_version table yet
        return None
    return None if value is None else str(value)


async def upgrade(db: Database) -> str | None:
    """Apply every pending revision; returns the revision the database is at afterwards.

    A database already at the newest revision is left alone without importing Alembic (~10 MB of RSS that
    a running server would otherwise keep for nothing).
    """
    head = _newest_revision_file()
    if head is not None and await _current_revision(db) == head:
        return head

    def _run(connection: Connection) -> str | None:
        from alembic import command
        from alembic.runtime.migration import MigrationContext

        command.upgrade(_config(connection), "head")
        return MigrationContext.configure(connection).get_current_revision()

    async with db.write() as conn:
        return await conn.run_sync(_run)
