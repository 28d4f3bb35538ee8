"""The database handle: one async SQLAlchemy engine, and how transactions are opened on it.

Owns engine creation, SQLite pragmas and the write discipline: `read()` opens a snapshot, `write()` opens the
single write transaction (SQLite: one writer at a time, BEGIN IMMEDIATE; PostgreSQL: plain transactions, the
store takes row locks). It knows nothing about tables; that is `schema` and `store`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

Dialect = Literal["sqlite", "postgresql"]

_WRITE_OPTION = "threadkeep_write"


def async_url(url: str) -> str:
    """Map a plain database URL to its async driver (sqlite → aiosqlite, postgresql → asyncpg)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise ValueError(f"unsupported database URL {parsed.drivername!r}: use sqlite:/// or postgresql://")


class Database:
    """An engine plus the rules for reading and writing through it."""

    def __init__(self, url: str, *, sqlite_synchronous: str = "NORMAL", pool_size: int = 8) -> None:
        self.url = async_url(url)
        backend = make_url(self.url).get_backend_name()
        self.dialect: Dialect = "sqlite" if backend == "sqlite" else "postgresql"
        kwargs: dict[str, Any] = {}
        if self.dialect == "postgresql":
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False)
        else:
            kwargs.update(pool_size=pool_size, max_overflow=0, connect_args={"timeout": 30})
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        # SQLite allows one writer; queueing writers here instead of in SQLite's busy loop keeps
        # "database is locked" away and makes writes first-come, first-served.
        self._write_lock = asyncio.Lock()
        if self.dialect == "sqlite":
            self._install_sqlite_hooks(sqlite_synchronous)

    def _install_sqlite_hooks(self, synchronous: str) -> None:
        sync_engine = self.engine.sync_engine

        @event.listens_for(sync_engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Let us emit BEGIN ourselves (pysqlite's implicit transactions are not what we want).
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            for pragma in (
                "journal_mode=WAL",
                f"synchronous={synchronous}",
                "foreign_keys=ON",
                "busy_timeout=30000",
                "temp_store=MEMORY",
                "cache_size=-32000",
            ):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

        @event.listens_for(sync_engine, "begin")
        def _on_begin(conn: Any) -> None:
            write = conn.get_execution_options().get(_WRITE_OPTION, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction (a consistent snapshot on both databases)."""
        async with self.engine.connect() as conn:
            async with conn.begin():
                yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One write transaction: committed when the block exits cleanly, rolled back otherwise."""
        if self.dialect == "sqlite":
            async with self._write_lock, self.engine.connect() as conn:
                await conn.execution_options(**{_WRITE_OPTION: True})
                async with conn.begin():
                    yield conn
        else:
            async with self.engine.connect() as conn, conn.begin():
                yield conn

    async def dispose(self) -> None:
        await self.engine.dispose()
