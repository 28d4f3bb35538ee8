"""Full-text search over session titles and message text (SQLite FTS5, PostgreSQL tsvector + GIN).

Owns turning a user's query into a safe prefix query for each database, and the ranking, over the whole of
one user's store and paged by a cursor: sessions whose title matches first (last activity first), then
sessions whose messages match (the newest matching message first), each with a snippet. It reads only; the
indexes are kept up to date by the migrations' triggers and generated columns.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from sqlalchemy import (
    ColumnElement,
    Integer,
    TextClause,
    bindparam,
    column,
    func,
    literal_column,
    select,
    table,
    text,
)

from ..db.database import Database
from ..db.schema import ACTIVITY, messages, sessions
from ..errors import BadRequest
from .session import Session
from .store import activity_of, after_cursor
from .store import encode_cursor as encode_list_cursor

_WORD = re.compile(r"\w+", re.UNICODE)
TITLES, CONTENT = 0, 1  # the two parts of the ranking, and of a cursor
# Matching messages read per round trip while looking for the next sessions of a page.
_CHUNK = 200
# Above this many matching titles (in the whole store), SQLite walks the user's list instead of sorting them.
_MANY_TITLES = 2000
# PostgreSQL: message ids read per step of the newest-first walk, and how far it goes before the GIN index.
_PG_WINDOW, _PG_WALK = 2000, 4000
_NO_BOUND = 2**62
_SESSIONS_FTS = table("sessions_fts", column("rowid", Integer))
_MESSAGES_FTS = table("messages_fts", column("rowid", Integer))
_ROWID = literal_column("sessions.rowid", Integer)


@dataclass(slots=True)
class Hit:
    session: Session
    match_type: Literal["title", "content"]
    snippet: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = self.session.compact()
        out["match_type"] = self.match_type
        if self.snippet is not None:
            out["snippet"] = self.snippet
        return out


def terms(query: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(query)][:16]


def snippet(body: str, words: list[str], width: int = 60) -> str:
    lowered = body.lower()
    at = min((i for i in (lowered.find(w) for w in words) if i >= 0), default=0)
    start = max(0, at - width)
    end = min(len(body), at + width)
    cut = body[start:end].replace("\n", " ")
    return ("..." if start else "") + cut + ("..." if end < len(body) else "")


@dataclass(slots=True)
class Filters:
    archived: bool | None = None
    project_id: str | None = None


@dataclass(slots=True)
class Results:
    hits: list[Hit]
    next_cursor: str | None


def encode_cursor(phase: int, position: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([phase, *position])).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, list[Any]]:
    try:
        phase, *position = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if phase == TITLES and len(position) == 2 and isinstance(position[0], int | float) \
                and isinstance(position[1], str):
            return phase, position
        if phase == CONTENT and len(position) <= 1 and all(isinstance(p, int) for p in position):
            return phase, position
        raise ValueError
    except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
        raise BadRequest("cursor is not a valid cursor from a previous search page") from exc


class SessionSearch:
    """Search over one user's sessions."""

    def __init__(self, db: Database, owner: str) -> None:
        self.db = db
        self.owner = owner

    def _match(self, words: list[str]) -> str:
        if self.db.dialect == "sqlite":
            return " AND ".join(f'"{w}"*' for w in words)
        return " & ".join(f"{w}:*" for w in words)

    def _title_matches(self, negate: bool = False) -> TextClause:
        no = "NOT " if negate else ""
        if self.db.dialect == "sqlite":
            return text(f"sessions.rowid {no}IN (SELECT rowid FROM sessions_fts WHERE sessions_fts MATCH :q)")
        return text(f"{no}(sessions.title_tsv @@ to_tsquery('simple', :q))")

    def _where(self, filters: Filters) -> list[ColumnElement[bool]]:
        # On SQLite `owner_id || ''`: the same test, but one the planner cannot start from; every query here
        # should start from the full-text index (the owner's index would read all of the user's sessions).
        owner = sessions.c.owner_id.concat("") if self.db.dialect == "sqlite" else sessions.c.owner_id
        where = [owner == self.owner]
        if filters.archived is not None:
            where.append(sessions.c.archived == filters.archived)
        if filters.project_id is not None:
            where.append(sessions.c.project_id == filters.project_id)
        return where

    async def search(self, query: str, *, limit: int = 50, include_content: bool = True,
                     filters: Filters | None = None, cursor: str | None = None) -> Results:
        """One page of matches, and the cursor of the next (None after the last)."""
        words = terms(query)
        if not words:
            return Results([], None)
        filters = filters or Filters()
        phase, position = decode_cursor(cursor) if cursor else (TITLES, [])
        params = {"q": self._match(words)}
        hits: list[Hit] = []
        async with self.db.read() as conn:
            if phase == TITLES:
                hits = await self._titles(conn, params, filters, position, limit + 1)
                if len(hits) > limit:
                    last = hits[limit - 1].session
                    return Results(hits[:limit], encode_cursor(TITLES, [activity_of(last), last.id]))
                if not include_content:
                    return Results(hits, None)
                position = []
            found = await self._content(conn, params, words, filters, position, limit - len(hits) + 1)
        hits += [hit for hit, _ in found]
        if len(hits) > limit:
            return Results(hits[:limit], encode_cursor(CONTENT, [found[-2][1]] if len(found) > 1 else []))
        return Results(hits, None)

    async def _titles(self, conn: Any, params: dict[str, Any], filters: Filters, position: list[Any],
                      limit: int) -> list[Hit]:
        """Sessions whose title matches, last activity first, after `position` ([activity, id])."""
        query = select(sessions).where(*self._where(filters)).order_by(ACTIVITY.desc(), sessions.c.id.desc())
        if position:
            query = query.where(*after_cursor(encode_list_cursor(position[0], position[1])))
        many = await self._many_titles(conn, params)
        if self.db.dialect == "sqlite" and not many:
            # Few matches: from the FTS matches to their rows, then sort (see `_where`).
            query = query.select_from(sessions.join(_SESSIONS_FTS, _SESSIONS_FTS.c.rowid == _ROWID)).where(
                text("sessions_fts MATCH :q"))
        else:  # many: walk the list in its order, testing each title
            query = query.where(self._title_matches(), sessions.c.owner_id == self.owner)
        if self.db.dialect == "postgresql":  # its estimate for a prefix query is a flat guess: decide for it
            await conn.execute(text(f"SET LOCAL {'enable_bitmapscan' if many else 'enable_indexscan'} = off"))
        rows = (await conn.execute(query.limit(limit), params)).all()
        if self.db.dialect == "postgresql":
            await conn.execute(text(f"RESET {'enable_bitmapscan' if many else 'enable_indexscan'}"))
        return [Hit(Session.from_row(r), "title") for r in rows]

    async def _many_titles(self, conn: Any, params: dict[str, Any]) -> bool:
        """Whether so many titles match that sorting them costs more than walking the list in order."""
        if self.db.dialect == "sqlite":
            query = text("SELECT count(*) FROM (SELECT 1 FROM sessions_fts WHERE sessions_fts MATCH :q LIMIT :n)")
        else:
            query = text("SELECT count(*) FROM (SELECT 1 FROM sessions "
                         "WHERE title_tsv @@ to_tsquery('simple', :q) LIMIT :n) AS t")
        return bool((await conn.execute(query, {**params, "n": _MANY_TITLES})).scalar() >= _MANY_TITLES)

    async def _content(self, conn: Any, params: dict[str, Any], words: list[str], filters: Filters,
                       position: list[Any], limit: int) -> list[tuple[Hit, int]]:
        """Sessions whose messages match and whose title does not, newest matching message first, from
        below message id `position[0]`; each session at its newest matching message. Walks the matches
        newest first in chunks, so the cost follows how deep the page is, never the store's size."""
        below = position[0] if position else None
        chunk = (
            select(messages.c.id, messages.c.session_id, messages.c.text)
            .join(sessions, sessions.c.id == messages.c.session_id)
            .where(*self._where(filters), self._title_matches(negate=True))
            .limit(_CHUNK)
        )
        if self.db.dialect == "sqlite":  # newest first straight from the FTS index, then each row by its key
            chunk = chunk.join(_MESSAGES_FTS, _MESSAGES_FTS.c.rowid == messages.c.id).where(
                text("messages_fts MATCH :q"), _MESSAGES_FTS.c.rowid < bindparam("below"),
            ).order_by(_MESSAGES_FTS.c.rowid.desc())
        else:
            chunk = chunk.where(text("messages.tsv @@ to_tsquery('simple', :q)"),
                                messages.c.id < bindparam("below")).order_by(messages.c.id.desc())
        first: dict[str, tuple[int, str]] = {}
        cursor_id, walked = (_NO_BOUND if below is None else below), 0
        while len(first) < limit:
            if self.db.dialect == "postgresql":
                rows, walked = await self._pg_chunk(conn, chunk, params, cursor_id, walked)
            else:
                rows = (await conn.execute(chunk, {**params, "below": cursor_id})).all()
            fresh = [r for r in rows if r.session_id not in first]
            if below is not None and fresh:
                shown = await self._matched_at_or_above(conn, params, below, {r.session_id for r in fresh})
                fresh = [r for r in fresh if r.session_id not in shown]
            for row in fresh:
                if row.session_id not in first and len(first) < limit:
                    first[row.session_id] = (row.id, row.text)
            if len(rows) < _CHUNK:
                break
            cursor_id = rows[-1].id
        if not first:
            return []
        found = await conn.execute(select(sessions).where(sessions.c.id.in_(list(first))))
        by_id = {r.id: Session.from_row(r) for r in found}
        return [(Hit(by_id[sid], "content", snippet(body, words)), at) for sid, (at, body) in first.items()]

    async def _pg_chunk(self, conn: Any, chunk: Any, params: dict[str, Any], below: int,
                        walked: int) -> tuple[list[Any], int]:
        """The next matching messages below `below` on PostgreSQL, whose estimates for prefix queries are
        poor either way: walk the newest ids back (cheap when the word is common) for up to `_PG_WALK`
        messages, then take the rest from the GIN index (cheap when it is rare)."""
        if walked < _PG_WALK:
            top = (await conn.execute(select(func.max(messages.c.id)).where(messages.c.id < below))).scalar()
            if top is None:
                return [], walked
            floor = max(0, int(top) - _PG_WINDOW + 1)
            await conn.execute(text("SET LOCAL enable_bitmapscan = off"))
            rows = (await conn.execute(chunk.where(messages.c.id >= floor), {**params, "below": below})).all()
            await conn.execute(text("RESET enable_bitmapscan"))
            if len(rows) == _CHUNK or floor == 0:
                return rows, walked
            # Fewer than a chunk in this window: the rest of the chunk lies below it.
            more, walked = await self._pg_chunk(conn, chunk, params, floor, walked + _PG_WINDOW)
            return (rows + more)[:_CHUNK], walked
        await conn.execute(text("SET LOCAL enable_indexscan = off"))
        rows = (await conn.execute(chunk, {**params, "below": below})).all()
        await conn.execute(text("RESET enable_indexscan"))
        return rows, walked

    async def _matched_at_or_above(self, conn: Any, params: dict[str, Any], below: int,
                                   session_ids: set[str]) -> set[str]:
        """Which of `session_ids` have a matching message at or above id `below` (listed on an earlier page)."""
        if self.db.dialect == "sqlite":
            matching = text("messages.id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH :q "
                            "AND rowid >= :below)")
        else:
            matching = text("messages.tsv @@ to_tsquery('simple', :q) AND messages.id >= :below")
        query = select(messages.c.session_id).distinct().where(
            messages.c.session_id.in_(list(session_ids)), matching)
        return set((await conn.execute(query, {**params, "below": below})).scalars())
