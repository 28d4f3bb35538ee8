"""The session store: sessions and their messages, spoken to in domain verbs.

Owns every read and write of the `sessions`, `messages` and `deleted_sessions` tables, including a running
turn's (claim, checkpoint, usage, release). A `SessionStore` acts for one user: every verb sees and changes only
that user's sessions, and another user's id is simply not found. Each mutation of a session is one transaction
that first locks the session (row lock on PostgreSQL, the single writer on SQLite), so concurrent retries/undos
each remove exactly one turn. Messages are rows: appends are O(1) and cuts delete a seq range.
"""

from __future__ import annotations

import base64
import functools
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Float, Row, bindparam, delete, func, insert, literal, or_, select, update
from sqlalchemy.sql.expression import ClauseElement

from ..db.database import Conn, Database
from ..db.schema import ACTIVITY, deleted_sessions, messages, sessions
from ..errors import BadRequest, Conflict, NotFound
from .messages import Message, preview
from .session import DEFAULT_TITLE, Session, new_session_id

SESSION_NOT_FOUND = "Session not found"

# Hot statements are built once: building a select costs more than running it on SQLite.
_SESSION_BY_ID = select(sessions).where(sessions.c.id == bindparam("sid"), sessions.c.owner_id == bindparam("owner"))
_SESSION_FOR_UPDATE = _SESSION_BY_ID.with_for_update()
_MESSAGE_COLUMNS = [c for c in messages.c if c.name not in ("id", "session_id", "text")]
_ALL_MESSAGES = select(*_MESSAGE_COLUMNS).where(messages.c.session_id == bindparam("sid")).order_by(messages.c.seq)
_NEWEST_MESSAGES = (
    select(*_MESSAGE_COLUMNS)
    .where(messages.c.session_id == bindparam("sid"), messages.c.seq < bindparam("before"))
    .order_by(messages.c.seq.desc())
    .limit(bindparam("limit"))
)
_LAST_USER_MESSAGE = (
    select(messages.c.seq, messages.c.text)
    .where(messages.c.session_id == bindparam("sid"), messages.c.role == "user")
    .where(messages.c.seq >= bindparam("from_seq"))
    .order_by(messages.c.seq.desc())
    .limit(1)
)
_NO_BOUND = 2**31 - 1
PATCHABLE = frozenset({"title", "workspace", "model", "pinned", "archived", "project_id", "allow_network"})


@dataclass(slots=True)
class Cut:
    """What a retry or undo removed."""

    removed_count: int
    last_user_text: str

    @property
    def removed_preview(self) -> str:
        return preview(self.last_user_text)


@dataclass(slots=True)
class Page:
    sessions: list[Session]
    next_cursor: str | None


@dataclass(slots=True)
class MessagePage:
    session: Session
    messages: list[Message]
    has_more: bool


@dataclass(slots=True)
class Draft:
    """A session about to be created (by `create`, an import, or a bulk import)."""

    workspace: str
    title: str | None = None
    model: str | None = None
    profile: str | None = None
    project_id: str | None = None
    pinned: bool = False
    archived: bool = False
    messages: Sequence[Message] = ()
    tool_calls: list[Any] | None = None
    session_id: str | None = None
    created_at: float | None = None
    updated_at: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    estimated_cost: float | None = None


def encode_cursor(activity: float, session_id: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([activity, session_id])).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        activity, session_id = orjson.loads(raw)
        if not isinstance(session_id, str) or not isinstance(activity, int | float):
            raise ValueError
        return float(activity), session_id
    except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
        raise BadRequest("cursor is not a valid cursor from a previous page") from exc


def activity_of(session: Session) -> float:
    """Where a session stands in the list: its last message, else its last change (`ACTIVITY` in Python)."""
    return session.last_message_at if session.last_message_at is not None else session.updated_at


def cursor_after(session: Session) -> str:
    return encode_cursor(activity_of(session), session.id)


def after_cursor(cursor: str) -> list[ColumnElement[bool]]:
    """The keyset condition `(ACTIVITY, id) < cursor`, spelled so both databases range-scan the index on
    ACTIVITY (SQLite does not for a row-value comparison on an expression)."""
    activity, session_id = decode_cursor(cursor)
    expr, at = ACTIVITY, bindparam("after_activity", activity, type_=Float)
    return [expr <= at, or_(expr < at, sessions.c.id < session_id)]


class SessionStores:
    """The entry to the sessions of every user: `of(user_id)` is the store that acts for one of them; the
    verbs here are the server's own (start-up recovery), never a user's."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def of(self, owner: str) -> SessionStore:
        return SessionStore(self.db, owner)

    async def clear_stale_streams(self) -> int:
        """At start-up no turn can be running: forget every active_stream_id left by a crash."""
        async with self.db.write() as conn:
            result = await conn.execute(
                update(sessions).where(sessions.c.active_stream_id.is_not(None)).values(active_stream_id=None)
            )
            return int(result.rowcount or 0)

    async def owners(self, session_ids: Sequence[str]) -> dict[str, str]:
        """{session_id: owner_id} for the sessions that exist (the server resuming queued messages)."""
        if not session_ids:
            return {}
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(sessions.c.id, sessions.c.owner_id).where(sessions.c.id.in_(list(session_ids))))
            return {r.id: r.owner_id for r in rows}


class SessionStore:
    def __init__(self, db: Database, owner: str) -> None:
        self.db = db
        self.owner = owner

    def _key(self, session_id: str) -> dict[str, str]:
        return {"sid": session_id, "owner": self.owner}

    # -- reading -------------------------------------------------------------------------------------

    async def get(self, session_id: str) -> Session:
        async with self.db.read() as conn:
            return await self._load(conn, session_id)

    async def page_of_messages(
        self, session_id: str, *, limit: int | None = None, before: int | None = None
    ) -> MessagePage:
        """The session and its messages: all of them, or the `limit` newest before seq `before`."""
        async with self.db.read() as conn:
            session = await self._load(conn, session_id)
            if limit is None and before is None:
                rows = (await conn.execute(_ALL_MESSAGES, {"sid": session_id})).all()
                return MessagePage(session, [Message.from_row(r) for r in rows], has_more=False)
            params = {"sid": session_id, "before": _NO_BOUND if before is None else before,
                      "limit": _NO_BOUND if limit is None else limit + 1}
            rows = (await conn.execute(_NEWEST_MESSAGES, params)).all()
            has_more = limit is not None and len(rows) > limit
            kept = rows[:limit] if limit is not None else rows
            return MessagePage(session, [Message.from_row(r) for r in reversed(kept)], has_more)

    async def list(
        self,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        archived: bool | None = None,
        pinned: bool | None = None,
        project_id: str | None = None,
    ) -> Page:
        """Sessions, last activity first (`ACTIVITY`: the last message, else the last change), ties by id.
        With `limit`, one keyset page and the cursor of the next."""
        query = select(sessions).where(sessions.c.owner_id == self.owner)
        if archived is not None:
            query = query.where(sessions.c.archived == archived)
        if pinned is not None:
            query = query.where(sessions.c.pinned == pinned)
        if project_id is not None:
            query = query.where(sessions.c.project_id == project_id)
        if cursor is not None:
            query = query.where(*after_cursor(cursor))
        query = query.order_by(ACTIVITY.desc(), sessions.c.id.desc())
        if limit is not None:
            query = query.limit(limit + 1)
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
        found = [Session.from_row(r) for r in rows]
        if limit is not None and len(found) > limit:
            return Page(found[:limit], cursor_after(found[limit - 1]))
        return Page(found, None)

    async def is_deleted(self, session_id: str) -> bool:
        async with self.db.read() as conn:
            query = select(deleted_sessions.c.id).where(
                deleted_sessions.c.id == session_id, deleted_sessions.c.owner_id == self.owner)
            return (await conn.execute(query)).first() is not None

    # -- creating ------------------------------------------------------------------------------------

    async def create(self, **fields: Any) -> Session:
        """A new session, with its initial messages, in one transaction (fields as in `Draft`).

        A `session_id` keeps an id from an import; an id this user deleted is refused, so a deleted session
        never comes back. An id another user holds gets a new one: whether it exists is not this user's business.
        """
        draft = Draft(**fields)
        async with self.db.write() as conn:
            if draft.session_id is None:
                draft.session_id = new_session_id()
            else:
                await self._refuse_taken_id(conn, draft.session_id)
                if draft.session_id in await self._foreign_ids(conn, [draft.session_id]):
                    draft.session_id = new_session_id()
            await self._insert(conn, [draft])
            return await self._load(conn, draft.session_id)

    async def create_many(self, drafts: Sequence[Draft]) -> dict[str, str]:
        """Bulk import in one transaction: {session_id: "created" | "present" | "deleted"}."""
        now = time.time()
        for draft in drafts:
            if draft.session_id is None:
                draft.session_id = new_session_id()
        ids = [d.session_id for d in drafts if d.session_id]
        async with self.db.write() as conn:
            deleted = set((await conn.execute(
                select(deleted_sessions.c.id).where(deleted_sessions.c.id.in_(ids),
                                                    deleted_sessions.c.owner_id == self.owner))).scalars())
            present = set((await conn.execute(select(sessions.c.id).where(
                sessions.c.id.in_(ids), sessions.c.owner_id == self.owner))).scalars())
            foreign = await self._foreign_ids(conn, ids)
            outcome = {i: "deleted" if i in deleted else "present" for i in deleted | present}
            fresh, seen = [], set(outcome)
            for draft in drafts:
                if draft.session_id not in seen:
                    original = draft.session_id or ""
                    seen.add(original)
                    if original in foreign:
                        draft.session_id = new_session_id()
                    fresh.append(draft)
                    outcome[original] = "created"
            await self._insert(conn, fresh, now)
        return outcome

    async def _insert(self, conn: Conn, drafts: Sequence[Draft], now: float | None = None) -> None:
        now = now or time.time()
        rows, message_rows = [], []
        for d in drafts:
            assert d.session_id is not None
            created = d.created_at if d.created_at is not None else now
            msgs = d.messages
            rows.append({
                "id": d.session_id,
                "title": d.title or DEFAULT_TITLE,
                "workspace": d.workspace,
                "model": d.model,
                "profile": d.profile,
                "project_id": d.project_id,
                "pinned": d.pinned,
                "archived": d.archived,
                "input_tokens": max(d.input_tokens or 0, sum(m.input_tokens or 0 for m in msgs)),
                "output_tokens": max(d.output_tokens or 0, sum(m.output_tokens or 0 for m in msgs)),
                "estimated_cost": d.estimated_cost or 0.0,
                "message_count": len(msgs),
                "next_seq": len(msgs),
                "tool_calls": orjson.dumps(d.tool_calls or []).decode(),
                "created_at": created,
                "updated_at": d.updated_at if d.updated_at is not None else max(now, created),
                "last_message_at": msgs[-1].created_at if msgs else None,
                "active_stream_id": None,
                "version": 1,
                "owner_id": self.owner,
                "allow_network": False,
            })
            message_rows += [m.to_row(d.session_id, i) for i, m in enumerate(msgs)]
        if rows:
            await conn.execute(insert(sessions), rows)
        if message_rows:
            await conn.execute(insert(messages), message_rows)

    async def _refuse_taken_id(self, conn: Conn, session_id: str) -> None:
        tomb = select(deleted_sessions.c.id).where(
            deleted_sessions.c.id == session_id, deleted_sessions.c.owner_id == self.owner)
        if (await conn.execute(tomb)).first() is not None:
            raise SessionDeleted(f"session {session_id} was deleted and cannot be recreated")
        live = select(sessions.c.id).where(sessions.c.id == session_id, sessions.c.owner_id == self.owner)
        if (await conn.execute(live)).first() is not None:
            raise SessionExists(f"session {session_id} already exists")

    async def _foreign_ids(self, conn: Conn, ids: Sequence[str | None]) -> set[str]:
        """Which of `ids` another user holds, live or deleted (an import then gets a new id instead)."""
        wanted = [i for i in ids if i]
        if not wanted:
            return set()
        live = select(sessions.c.id).where(sessions.c.id.in_(wanted), sessions.c.owner_id != self.owner)
        tombs = select(deleted_sessions.c.id).where(
            deleted_sessions.c.id.in_(wanted), deleted_sessions.c.owner_id != self.owner)
        return set((await conn.execute(live)).scalars()) | set((await conn.execute(tombs)).scalars())

    async def branch(self, session_id: str, keep_count: int | None = None) -> Session:
        """A new session holding a copy of the first `keep_count` messages (default: all)."""
        if keep_count is not None and keep_count < 0:
            raise BadRequest("keep_count must be >= 0")
        now = time.time()
        async with self._mutate(session_id) as (conn, source):
            keep = source.message_count if keep_count is None else min(keep_count, source.message_count)
            new_id = new_session_id()
            cols = [c for c in messages.c if c.name not in ("id", "session_id")]
            copy = select(literal(new_id), *cols).where(
                messages.c.session_id == session_id, messages.c.seq < keep
            )
            await conn.execute(
                insert(sessions).from_select(
                    list(sessions.c.keys()),
                    select(
                        literal(new_id).label("id"),
                        (sessions.c.title + " (branch)").label("title"),
                        *[c for c in sessions.c if c.name not in ("id", "title")],
                    ).where(sessions.c.id == session_id, sessions.c.owner_id == self.owner),
                )
            )
            await conn.execute(
                insert(messages).from_select(["session_id", *[c.name for c in cols]], copy)
            )
            last = await self._last_message_at(conn, new_id, keep)
            usage = await self._usage_of(conn, new_id)
            await conn.execute(
                update(sessions)
                .where(sessions.c.id == new_id)
                .values(
                    message_count=keep,
                    next_seq=keep,
                    last_message_at=last,
                    created_at=now,
                    updated_at=now,
                    pinned=False,
                    archived=False,
                    active_stream_id=None,
                    version=1,
                    **usage,
                )
            )
            return await self._load(conn, new_id)

    # -- changing messages ---------------------------------------------------------------------------

    async def append(self, session_id: str, new: Sequence[Message], **usage_delta: float) -> Session:
        """Add messages at the end of the transcript (O(len(new)), whatever the transcript length)."""
        now = time.time()
        async with self._mutate(session_id) as (conn, session):
            start = session.next_seq
            if new:
                await conn.execute(insert(messages), [m.to_row(session_id, start + i) for i, m in enumerate(new)])
            # The session row is locked: its counters as read are current, so plain values are exact.
            values: dict[str, Any] = {
                "message_count": session.message_count + len(new),
                "next_seq": start + len(new),
                "input_tokens": session.input_tokens
                + sum(m.input_tokens or 0 for m in new)
                + int(usage_delta.get("input_tokens", 0)),
                "output_tokens": session.output_tokens
                + sum(m.output_tokens or 0 for m in new)
                + int(usage_delta.get("output_tokens", 0)),
                "estimated_cost": session.estimated_cost + float(usage_delta.get("estimated_cost", 0.0)),
            }
            if new:
                values["last_message_at"] = new[-1].created_at
            return await self._touch(conn, session_id, now, **values)

    async def retry(self, session_id: str) -> Cut:
        """Cut the transcript just before its last user message; that message's text is returned."""
        return await self._cut_last_turn(session_id, "No previous message to retry.")

    async def undo(self, session_id: str) -> Cut:
        """Remove the last turn (the last user message and everything after it)."""
        return await self._cut_last_turn(session_id, "Nothing to undo.")

    async def _cut_last_turn(self, session_id: str, nothing_message: str) -> Cut:
        async with self._mutate(session_id) as (conn, session):
            # The last turn is nearly always among the last few messages: look there first, so the cost does
            # not depend on the transcript's length or on the planner's statistics (PostgreSQL right after a
            # big import would otherwise scan and sort the whole transcript).
            params: dict[str, Any] = {"sid": session_id, "from_seq": max(0, session.next_seq - 64)}
            last_user = (await conn.execute(_LAST_USER_MESSAGE, params)).first()
            if last_user is None and params["from_seq"] > 0:
                last_user = (await conn.execute(_LAST_USER_MESSAGE, {"sid": session_id, "from_seq": 0})).first()
            if last_user is None:
                raise NothingToRemove(nothing_message)
            removed = await self._cut_at(conn, session, last_user.seq)
            return Cut(removed_count=removed, last_user_text=last_user.text)

    async def truncate(self, session_id: str, keep_count: int) -> Session:
        """Keep the first `keep_count` messages and remove the rest."""
        if keep_count < 0:
            raise BadRequest("keep_count must be >= 0")
        async with self._mutate(session_id) as (conn, session):
            if keep_count < session.next_seq:
                await self._cut_at(conn, session, keep_count)
            return await self._load(conn, session_id)

    async def clear(self, session_id: str) -> Session:
        """Remove every message; the title goes back to the default (as hermes does); settings stay."""
        async with self._mutate(session_id) as (conn, session):
            await self._cut_at(conn, session, 0)
            values = {"input_tokens": 0, "output_tokens": 0, "estimated_cost": 0.0, "tool_calls": "[]",
                      "title": DEFAULT_TITLE}
            return await self._touch(conn, session_id, time.time(), **values)

    async def _cut_at(self, conn: Conn, session: Session, seq: int) -> int:
        """Delete messages with seq >= `seq`; the session's counters follow. Returns how many went."""
        result = await conn.execute(
            delete(messages).where(messages.c.session_id == session.id, messages.c.seq >= seq)
        )
        removed = int(result.rowcount or 0)
        last = await self._last_message_at(conn, session.id, seq)
        await self._touch(
            conn,
            session.id,
            time.time(),
            message_count=session.message_count - removed,
            next_seq=seq,
            last_message_at=last,
        )
        return removed

    async def _last_message_at(self, conn: Conn, session_id: str, end: int) -> float | None:
        if end <= 0:
            return None
        query = select(messages.c.created_at).where(messages.c.session_id == session_id, messages.c.seq == end - 1)
        return (await conn.execute(query)).scalar()

    async def _usage_of(self, conn: Conn, session_id: str) -> dict[str, int]:
        query = select(
            func.coalesce(func.sum(messages.c.input_tokens), 0),
            func.coalesce(func.sum(messages.c.output_tokens), 0),
        ).where(messages.c.session_id == session_id)
        input_tokens, output_tokens = tuple((await conn.execute(query)).one())
        return {"input_tokens": int(input_tokens), "output_tokens": int(output_tokens)}

    async def usage_by_model(self, session_id: str) -> Sequence[tuple[str, int, int, int]]:
        """(model, input_tokens, output_tokens, messages) for each model that answered in the session."""
        query = (
            select(messages.c.model, func.coalesce(func.sum(messages.c.input_tokens), 0),
                   func.coalesce(func.sum(messages.c.output_tokens), 0), func.count())
            .where(messages.c.session_id == session_id, messages.c.model.is_not(None))
            .group_by(messages.c.model)
            .order_by(messages.c.model)
        )
        async with self.db.read() as conn:
            await self._load(conn, session_id)
            return [(str(m), int(i), int(o), int(n)) for m, i, o, n in await conn.execute(query)]

    # -- changing session fields ---------------------------------------------------------------------

    async def patch(self, session_id: str, **values: Any) -> Session:
        """Set a session's own fields (those in `PATCHABLE`) in one statement; counters and ownership are the
        verbs' business, never a caller's."""
        unknown = set(values) - PATCHABLE
        if unknown:
            raise TypeError(f"not patchable: {sorted(unknown)}")
        now = time.time()
        async with self.db.write() as conn:
            return await self._touch(conn, session_id, now, **values)

    async def set_active_stream(self, session_id: str, stream_id: str | None) -> Session:
        async with self.db.write() as conn:
            return await self._touch(conn, session_id, None, active_stream_id=stream_id)

    async def delete(self, session_id: str) -> bool:
        """Delete a session and its messages for good; idempotent. True when something was deleted.

        The tombstone (which keeps an import from bringing it back) is this user's; an id that another user
        holds is left alone, exactly as if it did not exist.
        """
        async with self.db.write() as conn:
            result = await conn.execute(
                delete(sessions).where(sessions.c.id == session_id, sessions.c.owner_id == self.owner))
            deleted = bool(result.rowcount)
            if deleted:
                await conn.execute(delete(deleted_sessions).where(deleted_sessions.c.id == session_id))
            elif await self._foreign_ids(conn, [session_id]) or await self.is_tombstone(conn, session_id):
                return False
            tomb = {"id": session_id, "deleted_at": time.time(), "owner_id": self.owner}
            await conn.execute(insert(deleted_sessions), [tomb])
            return deleted

    async def is_tombstone(self, conn: Conn, session_id: str) -> bool:
        query = select(deleted_sessions.c.id).where(deleted_sessions.c.id == session_id)
        return (await conn.execute(query)).first() is not None

    async def delete_empty(self, *, untitled_only: bool = False) -> int:
        """Delete every session with no messages (and no turn running), with `untitled_only` only those never
        named (still titled "Untitled"); returns how many."""
        async with self.db.write() as conn:
            query = select(sessions.c.id).where(
                sessions.c.owner_id == self.owner, sessions.c.message_count == 0, sessions.c.active_stream_id.is_(None)
            )
            if untitled_only:
                query = query.where(sessions.c.title == DEFAULT_TITLE)
            ids = list((await conn.execute(query)).scalars())
            if ids:
                await conn.execute(delete(sessions).where(sessions.c.id.in_(ids)))
                now = time.time()
                await conn.execute(insert(deleted_sessions),
                                   [{"id": i, "deleted_at": now, "owner_id": self.owner} for i in ids])
            return len(ids)

    # -- a running turn --------------------------------------------------------------------------------

    async def claim_turn(self, session_id: str, stream_id: str, user: Message,
                         model: str | None) -> tuple[Session, int]:
        """Mark the session busy with `stream_id` and commit the user message, in one transaction.

        Returns the session and the seq of the user message; SessionBusy if another turn holds the session.
        """
        async with self._mutate(session_id) as (conn, session):
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
            return await self._touch(conn, session_id, time.time(), **values), seq

    async def put_reply(self, session_id: str, stream_id: str, seq: int | None, reply: Message) -> int:
        """Write a message of the running turn: insert it the first time, replace it (same seq) after.

        Only the turn that holds the session may write; returns the message's seq.
        """
        async with self._mutate(session_id) as (conn, session):
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
                    await self._touch(conn, session_id, None, last_message_at=reply.created_at)
                    return seq
            seq = session.next_seq
            row["seq"] = seq
            await conn.execute(insert(messages), [row])
            await self._touch(conn, session_id, time.time(), message_count=sessions.c.message_count + 1,
                              next_seq=seq + 1, last_message_at=reply.created_at)
            return seq

    async def add_usage(self, session_id: str, input_tokens: int, output_tokens: int, cost: float) -> Session:
        async with self.db.write() as conn:
            return await self._touch(
                conn,
                session_id,
                None,
                input_tokens=sessions.c.input_tokens + input_tokens,
                output_tokens=sessions.c.output_tokens + output_tokens,
                estimated_cost=sessions.c.estimated_cost + cost,
            )

    async def finish_turn(self, session_id: str, stream_id: str, *, title: str | None = None) -> Session | None:
        """Release the session if `stream_id` still holds it, with its tool-call summary rebuilt (and a title)."""
        async with self.db.write() as conn:
            values: dict[str, Any] = {"tool_calls": await self._tool_call_summary(conn, session_id)}
            if title is not None:
                values["title"] = title
            query = (
                update(sessions)
                .where(sessions.c.id == session_id, sessions.c.owner_id == self.owner,
                       sessions.c.active_stream_id == stream_id)
                .values(active_stream_id=None, version=sessions.c.version + 1, updated_at=time.time(), **values)
                .returning(*sessions.c)
            )
            row = (await conn.execute(query)).first()
            return Session.from_row(row) if row is not None else None

    async def release_turn(self, session_id: str, stream_id: str) -> None:
        """Free the session if `stream_id` still holds it, touching nothing else (a turn that failed to finish)."""
        async with self.db.write() as conn:
            await conn.execute(
                update(sessions)
                .where(sessions.c.id == session_id, sessions.c.owner_id == self.owner,
                       sessions.c.active_stream_id == stream_id)
                .values(active_stream_id=None, version=sessions.c.version + 1)
            )

    async def _tool_call_summary(self, conn: Conn, session_id: str) -> str:
        """The session's tool_calls summary (JSON), rebuilt from its messages."""
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

    # -- internals -----------------------------------------------------------------------------------

    @asynccontextmanager
    async def _mutate(self, session_id: str) -> AsyncIterator[tuple[Conn, Session]]:
        """One write transaction holding the session's lock, with the session as it is under that lock."""
        async with self.db.write() as conn:
            query = _SESSION_FOR_UPDATE if self.db.dialect == "postgresql" else _SESSION_BY_ID
            row = (await conn.execute(query, self._key(session_id))).first()
            if row is None:
                raise SessionNotFound(SESSION_NOT_FOUND)
            yield conn, Session.from_row(row)

    async def _touch(self, conn: Conn, session_id: str, now: float | None, **values: Any) -> Session:
        """Set session fields and bump its version, in one UPDATE ... RETURNING."""
        if now is not None:
            values["updated_at"] = now
        if any(isinstance(v, ClauseElement) for v in values.values()):
            query = (
                update(sessions)
                .where(sessions.c.id == session_id, sessions.c.owner_id == self.owner)
                .values(version=sessions.c.version + 1, **values)
                .returning(*sessions.c)
            )
            row = (await conn.execute(query)).first()
        else:
            params = {f"v_{k}": v for k, v in values.items()}
            row = (await conn.execute(_touch_statement(tuple(values)), {**self._key(session_id), **params})).first()
        if row is None:
            raise SessionNotFound(SESSION_NOT_FOUND)
        return Session.from_row(row)

    async def _load(self, conn: Conn, session_id: str) -> Session:
        row: Row[Any] | None = (await conn.execute(_SESSION_BY_ID, self._key(session_id))).first()
        if row is None:
            raise SessionNotFound(SESSION_NOT_FOUND)
        return Session.from_row(row)


@functools.lru_cache(maxsize=64)
def _touch_statement(keys: tuple[str, ...]) -> Any:
    """UPDATE sessions SET <keys>, version = version + 1 WHERE id = :sid AND owner_id = :owner RETURNING *,
    built once per key set."""
    values: dict[str, Any] = {k: bindparam(f"v_{k}") for k in keys}
    return (
        update(sessions)
        .where(sessions.c.id == bindparam("sid"), sessions.c.owner_id == bindparam("owner"))
        .values(version=sessions.c.version + 1, **values)
        .returning(*sessions.c)
    )


class SessionNotFound(NotFound):
    """No such session for this user (never was, deleted, or another user's)."""


class NothingToRemove(BadRequest):
    """Retry or undo found no user message to cut at."""


class SessionDeleted(BadRequest):
    status = 409


class SessionExists(BadRequest):
    status = 409


class SessionBusy(Conflict):
    """A turn is already running on the session."""
