"""Full-text search over session titles and message text (SQLite FTS5, PostgreSQL tsvector + GIN).

Owns turning a user's query into a safe prefix query for each database, and ranking: title matches first,
then sessions whose messages match, newest first, each with a snippet. It reads only; the indexes are
kept up to date by the migrations' triggers and generated columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select, text

from ..db.database import Database
from ..db.schema import messages, sessions
from .session import Session

_WORD = re.compile(r"\w+", re.UNICODE)
# How many matching messages are looked at to find distinct sessions; bounds the cost of common words.
_MESSAGE_SCAN = 400


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


class SessionSearch:
    """Search over one user's sessions."""

    def __init__(self, db: Database, owner: str) -> None:
        self.db = db
        self.owner = owner

    def _match(self, words: list[str]) -> str:
        if self.db.dialect == "sqlite":
            return " AND ".join(f'"{w}"*' for w in words)
        return " & ".join(f"{w}:*" for w in words)

    async def search(self, query: str, *, limit: int = 50, include_content: bool = True) -> list[Hit]:
        words = terms(query)
        if not words:
            return []
        match = self._match(words)
        async with self.db.read() as conn:
            if self.db.dialect == "sqlite":
                title_sql = text(
                    "SELECT f.rowid FROM sessions_fts f JOIN sessions s ON s.rowid = f.rowid "
                    "WHERE sessions_fts MATCH :q AND s.owner_id = :owner ORDER BY f.rowid DESC LIMIT :n"
                )
                params = {"q": match, "n": limit, "owner": self.owner}
                rowids = [r[0] for r in await conn.execute(title_sql, params)]
                by_rowid = select(sessions).where(text("sessions.rowid IN (SELECT value FROM json_each(:ids))"))
                title_rows = (await conn.execute(by_rowid, {"ids": _json_list(rowids)})).all() if rowids else []
            else:
                title_rows = (
                    await conn.execute(
                        select(sessions)
                        .where(text("title_tsv @@ to_tsquery('simple', :q)"), sessions.c.owner_id == self.owner)
                        .order_by(sessions.c.updated_at.desc())
                        .limit(limit),
                        {"q": match},
                    )
                ).all()
            hits = [Hit(Session.from_row(r), "title") for r in title_rows]
            hits.sort(key=lambda h: h.session.updated_at, reverse=True)
            if include_content and len(hits) < limit:
                hits += await self._content_hits(conn, match, words, {h.session.id for h in hits}, limit - len(hits))
        return hits

    async def _content_hits(
        self, conn: Any, match: str, words: list[str], seen: set[str], limit: int
    ) -> list[Hit]:
        if self.db.dialect == "sqlite":
            ids_sql = text(
                "SELECT f.rowid FROM messages_fts f JOIN messages m ON m.id = f.rowid "
                "JOIN sessions s ON s.id = m.session_id "
                "WHERE messages_fts MATCH :q AND s.owner_id = :owner ORDER BY f.rowid DESC LIMIT :n"
            )
        else:
            ids_sql = text(
                "SELECT m.id FROM messages m JOIN sessions s ON s.id = m.session_id "
                "WHERE m.tsv @@ to_tsquery('simple', :q) AND s.owner_id = :owner ORDER BY m.id DESC LIMIT :n"
            )
        params = {"q": match, "n": _MESSAGE_SCAN, "owner": self.owner}
        ids = [r[0] for r in await conn.execute(ids_sql, params)]
        if not ids:
            return []
        rows = await conn.execute(
            select(messages.c.id, messages.c.session_id, messages.c.text)
            .where(messages.c.id.in_(ids))
            .order_by(messages.c.id.desc())
        )
        first_text: dict[str, str] = {}
        for row in rows:
            if row.session_id not in seen and row.session_id not in first_text:
                first_text[row.session_id] = row.text
                if len(first_text) >= limit:
                    break
        if not first_text:
            return []
        found = await conn.execute(
            select(sessions).where(sessions.c.id.in_(list(first_text)), sessions.c.owner_id == self.owner))
        by_id = {r.id: Session.from_row(r) for r in found}
        return [Hit(by_id[sid], "content", snippet(body, words)) for sid, body in first_text.items() if sid in by_id]


def _json_list(values: list[int]) -> str:
    return "[" + ",".join(str(int(v)) for v in values) + "]"
