"""The database handle: an engine per database kind, and how transactions are opened on it.

Owns engine creation, SQLite pragmas and the write discipline: `read()` opens a snapshot, `write()` opens
the one write transaction (SQLite: one writer at a time, BEGIN IMMEDIATE; PostgreSQL: plain transactions,
the store takes row locks). Both yield a `Conn` with the same awaitable `execute`/`run_sync`, so the store
has one code path. It knows nothing about tables; that is `schema` and `store`.

SQLite runs inline on the event loop: a statement on a local file takes tens of microseconds, while
handing it to a driver thread (aiosqlite) cost ~1 ms per request in our measurements. PostgreSQL is real
network I/O and uses asyncpg.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, CursorResult, Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.sql import Executable

if TYPE_CHECKING:  # imported for PostgreSQL only: ~7 MB of RSS a SQLite server does not need
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

Dialect = Literal["sqlite", "postgresql"]
T = TypeVar("T")

_WRITE_OPTION = "threadkeep_write"
# Another process (a CLI import) may hold SQLite's write lock: wait for it without blocking the loop.
_LOCK_WAIT_SECONDS = 30.0


class InlineConnection:
    """The awaitable face of a synchronous SQLite connection: each call runs at once, on the loop."""

    def __init__(self, sync: Connection) -> None:
        self.sync = sync

    async def execute(
        self, statement: Executable, parameters: Sequence[Mapping[str, Any]] | Mapping[str, Any] | None = None
    ) -> CursorResult[Any]:
        return self.sync.execute(statement, parameters)

    async def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        return fn(self.sync, *args)


Conn: TypeAlias = "AsyncConnection | InlineConnection"


def normalize_url(url: str) -> tuple[Dialect, str]:
    """The dialect of a database URL and the driver URL to open it with."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return "sqlite", parsed.set(drivername="sqlite+pysqlite").render_as_string(hide_password=False)
    if backend in ("postgresql", "postgres"):
        return "postgresql", parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise ValueError(f"unsupported database URL {parsed.drivername!r}: use sqlite:/// or postgresql://")


class Database:
    """An engine plus the rules for reading and writing through it."""

    def __init__(self, url: str, *, sqlite_synchronous: str = "NORMAL", pool_size: int = 8) -> None:
        self.dialect, self.url = normalize_url(url)
        # SQLite allows one writer; queueing writers here instead of in SQLite's busy loop keeps
        # "database is locked" away and makes writes first-come, first-served.
        self._write_lock = asyncio.Lock()
        self.engine: AsyncEngine | None = None
        self.sync_engine: Engine | None = None
        if self.dialect == "postgresql":
            from sqlalchemy.ext.asyncio import create_async_engine

            self.engine = create_async_engine(self.url, pool_size=pool_size, max_overflow=pool_size)
        else:
            # Statements run inline, so few connections are ever open at once; each keeps its own page cache.
            self.sync_engine = create_engine(
                self.url, pool_size=4, max_overflow=pool_size, connect_args={"check_same_thread": False}
            )
            self._install_sqlite_hooks(self.sync_engine, sqlite_synchronous)

    @staticmethod
    def _install_sqlite_hooks(engine: Engine, synchronous: str) -> None:
        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
            # We emit BEGIN ourselves (pysqlite's implicit transactions are not what we want).
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            for pragma in (
                "journal_mode=WAL",
                f"synchronous={synchronous}",
                "foreign_keys=ON",
                # Never sleep on the loop for long: `write()` retries BEGIN IMMEDIATE with asyncio.sleep.
                "busy_timeout=20",
                "temp_store=MEMORY",
                # SQLite's default 2 MB: the OS page cache holds the file anyway. 8 MB measured no faster
                # (10,000-row reads, 100,000-session lists) and cost 4 MB of server RSS (bench/bench_core.py).
                "cache_size=-2000",
            ):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            write = conn.get_execution_options().get(_WRITE_OPTION, False)
            sql = "BEGIN IMMEDIATE" if write else "BEGIN"
            # Straight to the driver: exec_driver_sql costs ~8 us more per transaction than the BEGIN itself.
            try:
                conn.connection.driver_connection.execute(sql)  # type: ignore[union-attr]
            except sqlite3.OperationalError as exc:  # "database is locked": `write()` waits and retries
                raise OperationalError(sql, None, exc) from exc

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Conn]:
        """A read-only transaction (a consistent snapshot on both databases)."""
        if self.engine is not None:
            async with self.engine.connect() as conn, conn.begin():
                yield conn
            return
        assert self.sync_engine is not None
        with self.sync_engine.connect() as sync, sync.begin():
            yield InlineConnection(sync)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Conn]:
        """One write transaction: committed when the block exits cleanly, rolled back otherwise."""
        if self.engine is not None:
            async with self.engine.connect() as conn, conn.begin():
                yield conn
            return
        assert self.sync_engine is not None
        async with self._write_lock:
            with self.sync_engine.connect() as sync:
                sync = sync.execution_options(**{_WRITE_OPTION: True})
                await self._begin_immediate(sync)
                try:
                    yield InlineConnection(sync)
                except BaseException:
                    sync.rollback()
                    raise
                sync.commit()

    async def _begin_immediate(self, sync: Connection) -> None:
        deadline = time.monotonic() + _LOCK_WAIT_SECONDS
        while True:
            try:
                sync.begin()
                return
            except OperationalError as exc:
                if "locked" not in str(exc.orig) or time.monotonic() > deadline:
                    raise
                sync.rollback()
                await asyncio.sleep(0.02)

    async def dispose(self) -> None:
        if self.engine is not None:
            await self.engine.dispose()
        if self.sync_engine is not None:
            self.sync_engine.dispose()
