"""The server-side queue of messages sent while a turn runs: add, list, remove, take the next one.

Owns the `queued_messages` table only. A turn's own writes to the session (claiming it, checkpointing the
reply, releasing it) are verbs of `sessions.store`, the one owner of the sessions and messages tables. Callers
check that the acting user owns the session before they touch its queue.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import delete, insert, select

from ..db.database import Database
from ..db.schema import queued_messages


@dataclass(slots=True)
class Queued:
    id: int
    session_id: str
    content: Any
    model: str | None
    attachments: list[Any]
    created_at: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "queue_id": self.id,
            "session_id": self.session_id,
            "message": self.content,
            "model": self.model,
            "attachments": self.attachments,
            "created_at": self.created_at,
        }


class TurnStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- the queue -----------------------------------------------------------------------------------

    async def enqueue(self, session_id: str, content: Any, model: str | None, attachments: list[Any]) -> Queued:
        now = time.time()
        async with self.db.write() as conn:
            row = {
                "session_id": session_id,
                "content": orjson.dumps(content).decode(),
                "model": model,
                "attachments": orjson.dumps(attachments).decode() if attachments else None,
                "created_at": now,
            }
            result = await conn.execute(insert(queued_messages).returning(queued_messages.c.id), [row])
            return Queued(int(result.scalar_one()), session_id, content, model, attachments, now)

    async def queued(self, session_id: str) -> list[Queued]:
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(queued_messages)
                .where(queued_messages.c.session_id == session_id)
                .order_by(queued_messages.c.id)
            )
            return [_queued(r) for r in rows]

    async def clear_queue(self, session_id: str, queue_id: int | None = None) -> int:
        async with self.db.write() as conn:
            query = delete(queued_messages).where(queued_messages.c.session_id == session_id)
            if queue_id is not None:
                query = query.where(queued_messages.c.id == queue_id)
            return int((await conn.execute(query)).rowcount or 0)

    async def pop_queued(self, session_id: str) -> Queued | None:
        async with self.db.write() as conn:
            row = (
                await conn.execute(
                    select(queued_messages)
                    .where(queued_messages.c.session_id == session_id)
                    .order_by(queued_messages.c.id)
                    .limit(1)
                )
            ).first()
            if row is None:
                return None
            await conn.execute(delete(queued_messages).where(queued_messages.c.id == row.id))
            return _queued(row)

    async def sessions_with_queue(self) -> list[str]:
        async with self.db.read() as conn:
            rows = await conn.execute(select(queued_messages.c.session_id).distinct())
            return [r[0] for r in rows]


def _queued(row: Any) -> Queued:
    attachments = orjson.loads(row.attachments) if row.attachments else []
    return Queued(row.id, row.session_id, orjson.loads(row.content), row.model, attachments, row.created_at)
