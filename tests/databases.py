"""Test databases: a temp SQLite file, or a fresh, uniquely named PostgreSQL database dropped afterwards."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

PG_ADMIN_URL = os.environ.get("THREADKEEP_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
_pg_reason: str | None = None
_pg_checked = False


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://"), timeout=3)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def postgres_unavailable() -> str | None:
    """None when PostgreSQL answers; otherwise a one-line reason to skip."""
    global _pg_reason, _pg_checked
    if not _pg_checked:
        _pg_checked = True
        try:
            asyncio.run(_admin("SELECT 1"))
        except Exception as exc:  # any failure means: no usable server here
            _pg_reason = f"PostgreSQL not reachable at {PG_ADMIN_URL.split('@')[-1]}: {type(exc).__name__}"
    if _pg_reason and os.environ.get("THREADKEEP_REQUIRE_SERVICES"):
        raise RuntimeError(f"THREADKEEP_REQUIRE_SERVICES is set but {_pg_reason}")
    return _pg_reason


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database named threadkeep_test_<random>, dropped on exit; yields its URL."""
    name = f"threadkeep_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
