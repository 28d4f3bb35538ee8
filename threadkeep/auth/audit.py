"""The audit log: who logged in or failed to, which tokens were made, used and revoked, what changed in users.

Owns the `audit_log` table: append and read a page (newest first) for admins. Entries name the actor by id and
by the username they had then, so the log still reads after a user is removed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import insert, select

from ..db.database import Conn, Database
from ..db.schema import audit_log


@dataclass(slots=True)
class Entry:
    id: int
    at: float
    event: str
    actor_id: str | None
    actor: str | None
    target: str | None
    ip: str | None
    detail: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at, "event": self.event, "actor_id": self.actor_id, "actor": self.actor,
                "target": self.target, "ip": self.ip, "detail": self.detail}


class AuditLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, event: str, *, actor_id: str | None = None, actor: str | None = None,
                     target: str | None = None, ip: str | None = None, conn: Conn | None = None,
                     **detail: Any) -> None:
        row = {"at": time.time(), "event": event, "actor_id": actor_id, "actor": actor, "target": target,
               "ip": ip, "detail": orjson.dumps(detail).decode() if detail else None}
        if conn is not None:
            await conn.execute(insert(audit_log), [row])
            return
        async with self.db.write() as own:
            await own.execute(insert(audit_log), [row])

    async def page(self, *, limit: int = 100, before: int | None = None, event: str | None = None) -> list[Entry]:
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if before is not None:
            query = query.where(audit_log.c.id < before)
        if event:
            query = query.where(audit_log.c.event == event)
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [Entry(r.id, r.at, r.event, r.actor_id, r.actor, r.target, r.ip,
                      orjson.loads(r.detail) if r.detail else {}) for r in rows]
