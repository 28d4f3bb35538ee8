"""The store verbs a running turn needs: claim a session, checkpoint the reply, finish, and the message queue.

Owns the turn's writes: claiming a session for one stream (the user message is committed in the same
transaction), replacing the streaming assistant message as it grows, adding usage, releasing the session,
and the server-side queue of messages sent while a turn runs. Reading and the transcript verbs stay in
`store`; this module reuses its locking.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import delete, insert, select, update

from ..db.schema import messages, queued_messages, sessions
from ..errors import Conflict
from ..sessions.messages import Message
from ..sessions.session import Session
from ..sessions.store import SessionStore


class SessionBusy(Conflict):
    """A turn is already running on the session."""


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
    def __init__(self, store: SessionStore) -> None:
        self.store = store
        self.db = store.db

    async def claim(self, session_id: str, stream_id: str, user: Message, model: str | None) -> tuple[Session, int]:
        """Mark the session busy with `stream_id` and commit the user message, in one transaction.

        Returns the session and the seq of the user message; SessionBusy if another turn holds the session.
        """
        async with self.store._mutate(session_id) as (conn, session):
            if session.active_stream_id is not None:
                raise SessionBusy("A turn is already running on this session",
                                  active_stream_id=session.active_stream_id)
            seq = session.next_seq
            await conn.execute(insert(messages), [user.to_row(session_id, seq)])
            values: dict[str, Any] = {
                "active_stream_id": stream_id,
                "message_count": sessions.c.message_count + 1,
                "next_seq": seq + 1,
                "last_message_at": user.created_at,
            }
            if model:
                values["model"] = model
            return await self.store._touch(conn, session_id, time.time(), **values), seq

    async def put_reply(self, session_id: str, stream_id: str, seq: int | None, reply: Message) -> int:
        """Write the assistant message being streamed: insert it the first time, replace it after.

        Only the turn that holds the session may write; returns the message's seq.
        """
        async with self.store._mutate(session_id) as (conn, session):
            if session.active_stream_id != stream_id:
                raise SessionBusy("This turn no longer holds the session")
            row = reply.to_row(session_id, seq if seq is not None else session.next_seq)
            if seq is not None:
                exists = await conn.execute(
                    update(messages)
                    .where(messages.c.session_id == session_id, messages.c.seq == seq)
                    .values({k: v for k, v in row.items() if k not in ("session_id", "seq")})
                )
                if exists.rowcount:
                    await self.store._touch(conn, session_id, None, last_message_at=reply.created_at)
                    return seq
            seq = session.next_seq
            row["seq"] = seq
            await conn.execute(insert(messages), [row])
            await self.store._touch(
                conn,
                session_id,
                time.time(),
                message_count=sessions.c.message_count + 1,
                next_seq=seq + 1,
                last_message_at=reply.created_at,
            )
            return seq

    async def add_usage(self, session_id: str, input_tokens: int, output_tokens: int, cost: float) -> Session:
        async with self.db.write() as conn:
            return await self.store._touch(
                conn,
                session_id,
                None,
                input_tokens=sessions.c.input_tokens + input_tokens,
                output_tokens=sessions.c.output_tokens + output_tokens,
                estimated_cost=sessions.c.estimated_cost + cost,
            )

    async def finish(self, session_id: str, stream_id: str, **values: Any) -> Session | None:
        """Release the session if `stream_id` still holds it (also sets title/tool_calls summary if given)."""
        async with self.db.write() as conn:
            query = (
                update(sessions)
                .where(sessions.c.id == session_id, sessions.c.active_stream_id == stream_id)
                .values(active_stream_id=None, version=sessions.c.version + 1, updated_at=time.time(), **values)
                .returning(*sessions.c)
            )
            row = (await conn.execute(query)).first()
            return Session.from_row(row) if row is not None else None

    async def tool_call_summary(self, session_id: str) -> str:
        """The session's tool_calls summary (JSON), rebuilt from its messages."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(messages.c.seq, messages.c.tool_calls)
                .where(messages.c.session_id == session_id, messages.c.tool_calls.is_not(None))
                .order_by(messages.c.seq)
            )
            summary = []
            for row in rows:
                for call in orjson.loads(row.tool_calls):
                    fn = call.get("function", {}) if isinstance(call, dict) else {}
                    summary.append({"id": call.get("id"), "name": fn.get("name"), "seq": row.seq})
        return orjson.dumps(summary).decode()

    # -- the queue -----------------------------------------------------------------------------------

    async def enqueue(self, session_id: str, content: Any, model: str | None, attachments: list[Any]) -> Queued:
        now = time.time()
        async with self.store._mutate(session_id) as (conn, _session):
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
