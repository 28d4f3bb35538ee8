"""`GET /api/sessions/search`: title and content matches for a query, one page at a time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ...sessions.search import Filters
from ..responses import JsonReply, reply
from .deps import Search, Store
from .sessions import listed

router = APIRouter(tags=["search"])


@router.get("/api/sessions/search")
async def search_sessions(
    search: Search,
    store: Store,
    q: Annotated[str, Query(max_length=500)] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    content: Annotated[bool, Query()] = True,
    archived: bool | None = None,
    project_id: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Annotated[str | None, Query(max_length=500, pattern=r"^[A-Za-z0-9_-]+$")] = None,
) -> JsonReply:
    """Title matches first, then content matches; `next_cursor` (null after the last page) asks for more.
    An empty query answers as hermes does: `{"sessions": [...]}`, the session list itself (filters apply)."""
    if not q.strip():
        page = await store.list(archived=archived, project_id=project_id)
        return reply({"sessions": [listed(s.compact()) for s in page.sessions]})
    found = await search.search(q, limit=limit, include_content=content, cursor=cursor,
                                filters=Filters(archived=archived, project_id=project_id))
    return reply({"sessions": [listed(h.to_dict()) for h in found.hits], "count": len(found.hits), "query": q.lower(),
                  "next_cursor": found.next_cursor})
